"""The upper floor of models/: use cases that screens and the CLI's --json read and call.

Each read returns frozen dataclasses with everything a screen paints (no Peewee model leaves this
package); each composite operation (one that spans several records, like saving a client card and
its deal together) is one transaction here. Modules here may import any domain module of models/;
no domain module imports this package.
"""
