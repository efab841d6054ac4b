"""The web console under ``/builds/``: server-rendered pages for signed-in identity users (a
dashboard, repositories, builds with their refs, checks, jobs and live logs) and the staff's
review, publish and purge buttons, all through the builds domain's services and selectors."""
