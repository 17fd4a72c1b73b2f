"""A Django app for the django-reversion and django-auditlog stories (tests/support/django_story.py).

The models are registered with a library by the story that uses it, so both libraries share them.
"""
