"""Models of the test app: a poll with tags (m2m history), an excluded field, and a custom-table choice.

``Choice.is_archived`` is an archive column (a boolean the story leaves False) for ``chrono archive``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords


class Tag(models.Model):
    name = models.CharField(max_length=30)


class Poll(models.Model):
    question = models.CharField(max_length=200, unique=True)
    pub_date = models.DateTimeField()
    votes = models.IntegerField(default=0)
    secret = models.CharField(max_length=20, null=True, blank=True)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    tags = models.ManyToManyField(Tag, blank=True)
    history = HistoricalRecords(m2m_fields=[tags], excluded_fields=["secret"])


class Choice(models.Model):
    """Its table name is not <app>_<model>: chrono must find it by its columns."""

    poll = models.ForeignKey(Poll, on_delete=models.CASCADE)
    choice_text = models.CharField(max_length=200)
    votes = models.IntegerField(default=0)
    is_archived = models.BooleanField(default=False)
    history = HistoricalRecords()

    class Meta:
        db_table = "custom_choice_table"
