"""The frame every explorer shares: controls, a busy indicator, the figure image, a status line.

Figures are :class:`matplotlib.figure.Figure` objects rendered to PNG bytes and shown in an
``ipywidgets.Image``. Nothing touches pyplot, so the inline backend never displays a figure twice,
and the shown bytes are an attribute that tests (and users) can read back.
"""

from __future__ import annotations

import io
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import ipywidgets as widgets
import numpy as np
from matplotlib.artist import Artist
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image as PILImage

#: resolution of the rendered figures (dots per inch)
FIGURE_DPI = 96


def figure_png(fig: Figure, dpi: int = FIGURE_DPI) -> bytes:
    """PNG bytes of a pyplot-free ``Figure`` (rendered with the Agg canvas)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


def rgba_png(rgba: np.ndarray) -> bytes:
    """PNG bytes of an RGBA pixel buffer (fast zlib level: these images live for one move)."""
    buf = io.BytesIO()
    PILImage.fromarray(np.asarray(rgba)).save(buf, format="png", compress_level=1)
    return buf.getvalue()


class BlittedFigure:
    """A figure whose static part is rendered once; the moving artists are redrawn over it.

    The figure is drawn once in full (so a layout engine can place everything), its layout is
    then frozen, and the picture without the ``moving`` artists is kept as a pixel background.
    :meth:`render` restores that background and draws only the moving artists: a slider move
    then costs the moving panel, not the whole figure (axes with many ticks, legends, …).
    Moving artists may be replaced between renders (pass the current ones to :meth:`render`);
    they must not overlap static artists that change.
    """

    def __init__(self, fig: Figure, moving: Sequence[Artist], dpi: int = FIGURE_DPI):
        fig.set_dpi(dpi)
        self.figure = fig
        self.canvas = FigureCanvasAgg(fig)
        engine = fig.get_layout_engine()
        if engine is not None:
            engine.execute(fig)                     # place everything once (no rasterising)
        fig.set_layout_engine("none")               # then keep those positions
        for artist in moving:
            artist.set_visible(False)
        self.canvas.draw()
        self.background = self.canvas.copy_from_bbox(fig.bbox)
        for artist in moving:
            artist.set_visible(True)

    def render(self, moving: Sequence[Artist]) -> bytes:
        """PNG of the background with ``moving`` drawn on top."""
        self.canvas.restore_region(self.background)
        renderer = self.canvas.get_renderer()
        for artist in moving:
            artist.draw(renderer)
        return rgba_png(self.canvas.buffer_rgba())


class Explorer(widgets.VBox):
    """Base class: a column of control rows, a progress bar, the figure and a status line.

    Attributes:
      image: the ``ipywidgets.Image`` showing the current figure as PNG.
      figure: the last ``Figure`` drawn (``None`` before the first draw).
      status: an ``ipywidgets.HTML`` line with the numbers behind the figure, or an error.
      progress: a progress bar shown only while a long computation runs.
      last_seconds: wall time of the last update (compute + draw), in seconds.
      last_error: the ValueError/TypeError of the last update (shown in the status line
        instead of being raised, so a bad combination of controls does not kill the widget),
        or None.
    """

    def __init__(self, control_rows: Sequence[Sequence[widgets.Widget]], **kwargs):
        self.image = widgets.Image(format="png")
        self.status = widgets.HTML(layout=widgets.Layout(min_height="2.5em"))
        self.progress = widgets.FloatProgress(
            value=0.0, min=0.0, max=1.0, description="", bar_style="info",
            layout=widgets.Layout(visibility="hidden", width="60%"))
        self.progress_label = widgets.Label("")
        self.figure: Figure | None = None
        self.last_seconds = 0.0
        self.last_error: Exception | None = None
        self._holding = 0
        rows = [widgets.HBox(list(row)) for row in control_rows]
        super().__init__(rows + [widgets.HBox([self.progress, self.progress_label]),
                                 self.image, self.status], **kwargs)
        self.add_class("slt-explorer")
        self.image.add_class("slt-figure")
        self.status.add_class("slt-status")

    # ------------------------------------------------------------------ drawing
    def show_figure(self, fig: Figure) -> None:
        """Render ``fig`` into the image widget (replacing the previous figure)."""
        self.figure = fig
        self.image.value = figure_png(fig)

    def show_png(self, png: bytes, fig: Figure | None = None) -> None:
        """Show already rendered PNG bytes (of ``fig``, kept as :attr:`figure`)."""
        self.figure = fig
        self.image.value = png

    def show_status(self, html: str) -> None:
        self.status.value = html

    def show_error(self, err: Exception) -> None:
        self.status.value = (f"<span style='color:#b00'><b>{type(err).__name__}:</b> "
                             f"{_escape(str(err))}</span>")

    # ------------------------------------------------------------------ busy indicator
    @contextmanager
    def busy(self, message: str) -> Iterator[callable]:
        """Show the progress bar with ``message`` while the block runs.

        Yields a function ``step(fraction)`` to move the bar (0..1) for work done in stages.
        """
        self.progress_label.value = message
        self.progress.value = 0.0
        self.progress.layout.visibility = "visible"

        def step(fraction: float) -> None:
            self.progress.value = min(1.0, max(0.0, float(fraction)))

        try:
            yield step
        finally:
            self.progress.value = 1.0
            self.progress.layout.visibility = "hidden"
            self.progress_label.value = ""

    # ------------------------------------------------------------------ update plumbing
    @contextmanager
    def holding(self) -> Iterator[None]:
        """Suppress updates while several controls are changed together."""
        self._holding += 1
        try:
            yield
        finally:
            self._holding -= 1

    def _run_update(self, update) -> None:
        """Run ``update()`` timed; bad input is shown in the status line, not raised."""
        if self._holding:
            return
        start = time.perf_counter()
        self.last_error = None
        try:
            update()
        except (ValueError, TypeError) as err:
            self.last_error = err
            self.show_error(err)
        self.last_seconds = time.perf_counter() - start

    def refresh(self) -> None:
        """Recompute and redraw from the current control values (e.g. after ``holding()``)."""
        self._run_update(self._refresh)

    def _refresh(self) -> None:
        raise NotImplementedError

    def _observe(self, widget: widgets.Widget, update) -> None:
        widget.observe(lambda _change: self._run_update(update), names="value")


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def fmt_n(n: float) -> str:
    """n with thousands separators (whole numbers) or 3 significant digits."""
    return f"{n:,.0f}" if n >= 100 else f"{n:.3g}"


#: how many rendered figures (one per static state) an explorer keeps for quick returns
KEPT_FIGURES = 8


class TwoPanelExplorer(Explorer):
    """An explorer whose figure has a moving left panel and a static right panel with a marker.

    Subclasses implement :meth:`_static_key` (what the right panel depends on),
    :meth:`_plot_moving` (draw the left panel into a subfigure), :meth:`_plot_static` (draw the
    right panel into a subfigure, return the axes for the marker) and :meth:`_marker` (x of the
    vertical marker on the right panel, an optional y for a marker point, and its label). A move
    that keeps the static key redraws only the left panel and the marker over the cached pixels
    of the rest (BlittedFigure).
    """

    figsize = (10.5, 3.8)
    width_ratios = (1.0, 1.25)

    def __init__(self, control_rows, **kwargs):
        self._canvases: dict = {}
        self._parts: tuple | None = None
        super().__init__(control_rows, **kwargs)

    # subclass hooks ------------------------------------------------------------------
    def _static_key(self):
        raise NotImplementedError

    def _plot_moving(self, subfig) -> None:
        raise NotImplementedError

    def _plot_static(self, subfig):
        """Draw the static panel into ``subfig``; return the axes that carries the marker."""
        raise NotImplementedError

    def _marker(self) -> tuple[float, float | None, str]:
        """x of the marker line, y of the marker point (None: no point; clipped to the axes)."""
        raise NotImplementedError

    def _status_html(self) -> str:
        return ""

    # drawing -------------------------------------------------------------------------
    def _draw(self) -> None:
        key = self._static_key()
        if key in self._canvases:
            blit, positions, self._parts = self._canvases.pop(key)
            left = self._parts[0]
            left.clear()
            self._plot_moving(left)
            for ax, pos in zip(left.axes, positions):
                ax.set_position(pos)
            self._place_marker()
        else:
            blit = BlittedFigure(self._new_figure(), self._parts)
            positions = [ax.get_position() for ax in self._parts[0].axes]
        self._canvases[key] = (blit, positions, self._parts)        # most recent last
        while len(self._canvases) > KEPT_FIGURES:
            self._canvases.pop(next(iter(self._canvases)))
        self.show_png(blit.render(self._parts), blit.figure)
        self.show_status(self._status_html())

    def _new_figure(self) -> Figure:
        fig = Figure(figsize=self.figsize, layout="constrained")
        left, right = fig.subfigures(1, 2, width_ratios=self.width_ratios)
        self._plot_moving(left)
        ax = self._plot_static(right)
        ax.set_autoscale_on(False)          # the marker never rescales the static panel
        line = ax.axvline(1.0, color="tab:red", lw=1.5)
        point = ax.plot([], [], "o", color="tab:red", ms=7, zorder=5)[0]
        label = ax.text(1.0, 0.97, "", color="tab:red", fontsize=8, ha="left", va="top",
                        transform=ax.get_xaxis_transform(),
                        bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.8,
                              "pad": 1})
        self._parts = (left, line, point, label)
        self._place_marker()
        return fig

    def _place_marker(self) -> None:
        _, line, point, label = self._parts
        x, y, text = self._marker()
        if y is not None:
            lo, hi = point.axes.get_ylim()
            y = min(max(y, min(lo, hi)), max(lo, hi)) if np.isfinite(y) else None
        line.set_xdata([x, x])
        point.set_data([x] if y is not None else [], [y] if y is not None else [])
        ax = line.axes
        frac = ax.transAxes.inverted().transform(ax.transData.transform((x, ax.get_ylim()[0])))[0]
        label.set_x(x)
        label.set_horizontalalignment("right" if frac > 0.6 else "left")
        label.set_text(f" {text} " if frac > 0.6 else f" {text}")
