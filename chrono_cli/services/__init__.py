"""What chrono does, independent of how it is asked: no printing, no typer."""
