"""Models of the pgshop app: items tracked by django-pghistory's insert, update and delete trackers and a
manual ``checked`` event (``internal`` excluded), and parts in a table whose name is not ``<app>_<model>``,
tracked with the default trackers (insert and update: deletes are not recorded)."""

from __future__ import annotations

import pghistory
from django.db import models

from tests.support.djangoapp.items import ItemFields


class Maker(models.Model):
    name = models.CharField(max_length=100)


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent(),
                 pghistory.ManualEvent("checked"), exclude=["internal"])
class Item(ItemFields):
    pass


@pghistory.track()
class Part(models.Model):
    item = models.ForeignKey(Item, null=True, on_delete=models.SET_NULL, related_name="parts")
    label = models.TextField()

    class Meta:
        db_table = "custom_pgpart"
