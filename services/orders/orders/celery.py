from servicekit.celery import make_app

app = make_app("orders")
