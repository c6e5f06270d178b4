"""What the Latent panel shows and edits, without Qt: three modes, each with its own state.

- **Edit**: the photo's encoded face, moved by the Edit sliders.
- **Interpolate**: the photo's face (A) blended towards a second photo's face (B) by `t`; no sliders.
- **Random**: a sampled face (a seed), moved by the Random sliders.

Each mode keeps its own state while another is shown (the InterFaceGAN / StyleFlow demos' way: a mode's
controls act on that mode's face only), so switching back restores it, and `recipe()` - what a job decodes,
and what Apply pastes - is always the current mode's alone: the Edit sliders never move an interpolated or a
random face. The keys say whether a result that arrives still matches what the user has set (codes are
compared by identity: a new encode or sample is a new object, and the panel never changes one in place).
"""

from __future__ import annotations

from enum import StrEnum

from latent_studio.app.gui.panels.latent.jobs import Code, Encoded, Recipe
from latent_studio.app.gui.panels.latent.state import SliderState


class Mode(StrEnum):
    EDIT = "edit"
    INTERPOLATE = "interpolate"
    RANDOM = "random"


RecipeKey = tuple[str, int, int | None, float, tuple[tuple[str, float], ...]]
PasteKey = tuple[RecipeKey, int, bool]


class LatentSession:
    def __init__(self) -> None:
        self.mode = Mode.EDIT
        self.edit_sliders = SliderState()  # the Edit mode's values
        self.random_sliders = SliderState()  # the Random mode's values
        self._no_sliders = SliderState()  # Interpolate has none: always empty
        self.encoded: Encoded | None = None  # the photo's face (Edit's face, Interpolate's A)
        self.sample: tuple[int, Code] | None = None  # (seed, code) of the random face
        self.other: Encoded | None = None  # face B
        self.t = 0.0

    @property
    def sliders(self) -> SliderState:
        """The current mode's sliders (Interpolate's is empty and stays so)."""
        if self.mode is Mode.EDIT:
            return self.edit_sliders
        if self.mode is Mode.RANDOM:
            return self.random_sliders
        return self._no_sliders

    @property
    def has_sliders(self) -> bool:
        return self.mode is not Mode.INTERPOLATE

    def set_names(self, names: list[str]) -> None:
        """The directions on offer changed: both modes with sliders keep the values of those that stay."""
        self.edit_sliders.set_names(names)
        self.random_sliders.set_names(names)

    def use_photo(self, encoded: Encoded) -> None:
        self.encoded = encoded

    def use_sample(self, seed: int, code: Code) -> None:
        self.sample = (seed, code)

    def reset(self) -> None:
        """Every mode back to its start: all sliders at 0, t at 0, no random face (face B stays loaded)."""
        self.edit_sliders.reset()
        self.random_sliders.reset()
        self.t = 0.0
        self.sample = None

    def forget_photo(self) -> None:
        """A new picture: its face is not encoded yet (a random face and B stay, they belong to no photo)."""
        self.encoded = None

    @property
    def base(self) -> Code | None:
        """The current mode's starting face: the photo's (Edit, Interpolate's A) or the sampled one."""
        if self.mode is Mode.RANDOM:
            return self.sample[1] if self.sample is not None else None
        return self.encoded.code if self.encoded is not None else None

    def recipe(self) -> Recipe | None:
        base = self.base
        if base is None:
            return None
        if self.mode is Mode.INTERPOLATE:
            other = self.other.code if self.other is not None else None
            return Recipe(base, other, self.t if other is not None else 0.0)
        return Recipe(base, sliders=self.sliders.key())

    def recipe_key(self) -> RecipeKey | None:
        """Equal keys decode to the same face."""
        recipe = self.recipe()
        if recipe is None:
            return None
        other = id(recipe.other) if recipe.other is not None else None
        return (self.mode.value, id(recipe.base), other, recipe.t, recipe.sliders)

    def paste_key(self, keep_detail: bool) -> PasteKey | None:
        """Equal keys paste the same photo; None when there is nothing to paste (no photo face encoded to paste
        into, or Interpolate without a face B)."""
        key = self.recipe_key()
        if key is None or self.encoded is None or (self.mode is Mode.INTERPOLATE and self.other is None):
            return None
        return (key, id(self.encoded), keep_detail)

    def step_label(self) -> str:
        """The undo step's name, e.g. 'Latent edit (young +1.50)'."""
        parts = []
        if self.mode is Mode.RANDOM and self.sample is not None:
            parts.append(f"random face {self.sample[0]}")
        if self.mode is Mode.INTERPOLATE and self.other is not None:
            parts.append(f"{self.t:.0%} towards B")
        if self.sliders.active():
            parts.append(self.sliders.describe())
        return "Latent edit" + (f" ({'; '.join(parts)})" if parts else "")

    def describe(self) -> str:
        if self.mode is Mode.EDIT:
            return "Editing the photo's face." if self.encoded is not None else ""
        if self.mode is Mode.INTERPOLATE:
            if self.encoded is None:
                return "Encode the photo's face (A) first."
            return f"The photo's face (A) {self.t:.0%} of the way to B." if self.other else "Load a face B."
        if self.sample is not None:
            seed = self.sample[0]
            return f"Random face {seed}" + (" (Apply pastes it into the box)." if self.encoded else ".")
        return ""

    def empty_text(self) -> str:
        """What the face view says while the current mode has no face."""
        if self.mode is Mode.RANDOM:
            return "Press Sample for a random face."
        if self.mode is Mode.INTERPOLATE:
            return "Encode the photo's face (A),\nthen load a face B."
        return "Encode the photo's face."

    def sliders_hint(self) -> str:
        if self.mode is Mode.RANDOM:
            return "Sample a face to use the sliders."
        return "Encode a face to use the sliders."
