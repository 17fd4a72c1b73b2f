"""The item fields the Django history stories share (an abstract model: each app defines its own table)."""

from __future__ import annotations

from django.db import models


class ItemFields(models.Model):
    """Every value class the stories cover: decimals, JSON, timestamps, unicode, NULLs, a foreign key to the
    app's ``Maker``, and ``internal``, which the libraries are told to leave out."""

    name = models.CharField(max_length=100)
    price = models.DecimalField(max_digits=10, decimal_places=2, null=True)
    meta = models.JSONField(null=True)
    seen = models.DateTimeField(null=True)
    maker = models.ForeignKey("Maker", null=True, on_delete=models.SET_NULL, related_name="items")
    internal = models.CharField(max_length=50, default="")

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"item {self.name}"
