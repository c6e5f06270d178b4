"""Which face the Latent panel shows and edits, without Qt: the photo's own, a random one, or a blend towards B.

The *base* face is the photo's encoded face or a sampled one; with a face B loaded it is blended towards B
by `t`; the sliders then move it. `recipe()` turns that into what a job decodes, and the keys say whether a
result that arrives still matches what the user has set (codes are compared by identity: a new encode or
sample is a new object, and the panel never changes one in place).
"""

from __future__ import annotations

from latent_studio.app.gui.panels.latent_jobs import Code, Encoded, Recipe
from latent_studio.app.gui.panels.latent_state import SliderState


class LatentSession:
    def __init__(self) -> None:
        self.sliders = SliderState()
        self.encoded: Encoded | None = None  # the photo's face
        self.sample: tuple[int, Code] | None = None  # (seed, code) of the random face
        self.base_kind: str | None = None  # "photo" or "sample"
        self.other: Encoded | None = None  # face B
        self.t = 0.0

    def use_photo(self, encoded: Encoded) -> None:
        self.encoded, self.base_kind = encoded, "photo"

    def use_sample(self, seed: int, code: Code) -> None:
        self.sample, self.base_kind = (seed, code), "sample"

    def reset(self) -> None:
        """Back to the photo's own face: every slider at 0, t at 0, no random face."""
        self.sliders.reset()
        self.t = 0.0
        self.sample = None
        self.base_kind = "photo" if self.encoded is not None else None

    def forget_photo(self) -> None:
        """A new picture: its face is not encoded yet (a random face stays, it belongs to no photo)."""
        self.encoded = None
        self.base_kind = "sample" if self.sample is not None else None

    @property
    def base(self) -> Code | None:
        if self.base_kind == "photo" and self.encoded is not None:
            return self.encoded.code
        if self.base_kind == "sample" and self.sample is not None:
            return self.sample[1]
        return None

    def recipe(self) -> Recipe | None:
        base = self.base
        if base is None:
            return None
        other = self.other.code if self.other is not None else None
        return Recipe(base, other, self.t if other is not None else 0.0, self.sliders.key())

    def recipe_key(self) -> tuple | None:
        """Equal keys decode to the same face."""
        recipe = self.recipe()
        return None if recipe is None else (id(recipe.base), id(recipe.other), recipe.t, recipe.sliders)

    def paste_key(self, keep_detail: bool) -> tuple | None:
        """Equal keys paste the same photo; None when there is nothing to paste (no photo face encoded)."""
        key = self.recipe_key()
        return None if key is None or self.encoded is None else (key, id(self.encoded), keep_detail)

    def step_label(self) -> str:
        """The undo step's name, e.g. 'Latent edit (young +1.50)'."""
        parts = [f"random face {self.sample[0]}"] if self.base_kind == "sample" and self.sample else []
        if self.other is not None and self.t:
            parts.append(f"{self.t:.0%} towards B")
        if self.sliders.active():
            parts.append(self.sliders.describe())
        return "Latent edit" + (f" ({'; '.join(parts)})" if parts else "")

    def describe(self) -> str:
        if self.base_kind == "photo":
            return "Editing the photo's face."
        if self.base_kind == "sample" and self.sample:
            seed = self.sample[0]
            return f"Editing random face {seed}" + (" (Apply pastes it into the box)." if self.encoded else ".")
        return ""
