"""The command-line interface: options in, one service call, a rendered result out."""
