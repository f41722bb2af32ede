"""The Pipeline screen."""
from __future__ import annotations

from screens.base import PlaceholderScreen


class PipelineScreen(PlaceholderScreen):
    TITLE_TEXT = "Pipeline"
