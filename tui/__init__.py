"""repdesk's application shell: the App, the CLI, configuration, key map and widgets."""

__version__ = "0.1.0"
