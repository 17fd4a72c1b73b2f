"""Models of the shop app: a maker (the foreign-key target), items with every value class the stories
cover (decimals, JSON, timestamps, unicode, NULLs, a foreign key, a field the library leaves out, a secret)
and parts kept in a table whose name is not ``<app>_<model>``."""

from __future__ import annotations

from django.db import models

from tests.support.djangoapp.items import ItemFields


class Maker(models.Model):
    name = models.CharField(max_length=100)

    def __str__(self) -> str:
        return self.name


class Item(ItemFields):
    secret = models.CharField(max_length=50, null=True)  # masked by django-auditlog


class Part(models.Model):
    """Its table name is not <app>_<model>: chrono finds it by the fields its versions store, or config."""

    item = models.ForeignKey(Item, null=True, on_delete=models.SET_NULL, related_name="parts")
    label = models.TextField()

    class Meta:
        db_table = "custom_part"

    def __str__(self) -> str:
        return self.label


class Sticker(models.Model):
    """django-reversion's story registers it with ``follow=["crate_set"]`` (the reverse side of a many-to-many
    field)."""

    label = models.CharField(max_length=50)

    def __str__(self) -> str:
        return self.label


class Crate(models.Model):
    """django-reversion's story registers it with ``follow=["bottles", "stickers"]`` (a reverse foreign key and a
    many-to-many field)."""

    label = models.CharField(max_length=50)
    stickers = models.ManyToManyField(Sticker, blank=True)

    def __str__(self) -> str:
        return self.label


class Bottle(models.Model):
    """django-reversion's story registers it with ``follow=["crate"]`` (whose crate follows its bottles)."""

    crate = models.ForeignKey(Crate, null=True, on_delete=models.SET_NULL, related_name="bottles")
    name = models.CharField(max_length=50)

    def __str__(self) -> str:
        return self.name
