from servicekit.gunicorn_config import *  # noqa: F403  (settings come from the environment)
