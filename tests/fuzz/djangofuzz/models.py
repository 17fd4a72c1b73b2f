"""The django-simple-history fuzz model: every fuzzed column type on one historical model."""

from __future__ import annotations

from django.db import models
from simple_history.models import HistoricalRecords


class Owner(models.Model):
    id = models.IntegerField(primary_key=True)


class Color(models.TextChoices):
    RED = "RED"
    GREEN = "GREEN"
    BLUE = "BLUE"


class Thing(models.Model):
    id = models.IntegerField(primary_key=True)
    label = models.CharField(max_length=40, null=True)
    short = models.CharField(max_length=10, null=True)  # SQLite keeps longer values: Django does not check
    note = models.TextField(null=True)
    amount = models.DecimalField(max_digits=12, decimal_places=2, null=True)
    ratio = models.FloatField(null=True)
    flag = models.BooleanField(null=True)
    day = models.DateField(null=True)
    at = models.DateTimeField(null=True)
    data = models.JSONField(null=True)
    blob = models.BinaryField(null=True)
    color = models.CharField(max_length=5, choices=Color.choices, null=True)
    owner = models.ForeignKey(Owner, null=True, on_delete=models.SET_NULL)
    history = HistoricalRecords()
