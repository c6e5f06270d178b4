"""Edit the face in a picture: the one flow the CLI (`edit`), the batch EditTool and the Latent panel call.

    1. find and encode the face (a user box restricts the detection, or gives the face when none is found)
    2. move its code: a blend towards a second face by t, then the sliders (sigma units)
    3. decode the edited code (and, to keep the photo's detail, the unedited one)
    4. paste back: only the change (delta) or the decoded face itself, under a feathered face mask;
       a gray photo stays gray (the model decodes colour faces, so their luma is pasted), and the photo
       keeps its size, alpha and bit depth.

No torch at import time (the GUI imports this module for `gray_face`); codes are the editor's tensors.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from latent_studio.app.core.faces import Box, FaceCrop, paste_back
from latent_studio.app.core.imageio import Picture
from latent_studio.app.core.jobs import Progress
from latent_studio.app.core.operations import luma
from latent_studio.models.errors import LatentStudioError

if TYPE_CHECKING:
    from latent_studio.app.core.latent import LatentEditor

PASTE_MODES = ("delta", "face")
#: Part of the batch settings key: outputs written by an older paste-back are redone, not kept.
FLOW_VERSION = "aligned5-refined-v2"


@dataclass(frozen=True)
class FaceEdit:
    """One picture's edit: the result, the face as pasted (model size), and where it was found."""

    picture: Picture
    face: np.ndarray  # (S, S, 3) uint8, gray for a gray picture
    crop: FaceCrop

    @property
    def note(self) -> str:
        return self.crop.note


def gray_face(rgb: np.ndarray) -> np.ndarray:
    """(..., 3) uint8 RGB -> the same shape, each channel the Rec. 709 luma: a face as a gray photo shows it."""
    return np.repeat(np.clip(luma(rgb) + 0.5, 0, 255).astype(np.uint8)[..., None], 3, axis=-1)


def face_code(
    editor: LatentEditor,
    base: Any,
    sliders: Mapping[str, float] | Sequence[tuple[str, float]] = (),
    other: Any = None,
    t: float = 0.0,
) -> Any:
    """`base` blended towards `other` by `t` (the interpolation's straight line), then moved by the sliders."""
    code = editor.blend(base, other, t) if other is not None and t else base.float()
    return editor.edit(code, dict(sliders))


def paste_face(picture: Picture, crop: FaceCrop, face: np.ndarray, reference: np.ndarray | None = None) -> Picture:
    """The picture with `face` pasted where `crop` came from; with `reference` (the unedited decode) only the
    change is added. A gray picture gets the faces' luma, so it stays gray."""
    if picture.is_gray:
        face = gray_face(face)
        reference = gray_face(reference) if reference is not None else None
    return picture.with_pixels(paste_back(picture.pixels, face, crop, reference))


def check_paste(paste: str) -> None:
    if paste not in PASTE_MODES:
        raise LatentStudioError(f"The paste mode must be one of {', '.join(PASTE_MODES)}, not '{paste}'.")


def edit_pictures(
    editor: LatentEditor,
    pictures: Sequence[Picture],
    sliders: Mapping[str, float],
    boxes: Sequence[Box | None] | None = None,
    paste: str = "delta",
    progress: Progress | None = None,
    exact_boxes: bool = False,
) -> list[FaceEdit]:
    """Edit the face of every picture by the same sliders (one decode pass per chunk); `exact_boxes`: each
    given box is the face's framing as it is, no detection inside it (`edit --box`)."""
    import torch

    check_paste(paste)
    progress = progress or Progress()
    offset = editor.offset(sliders)  # unknown names: UnknownDirectionError listing the known ones
    boxes = list(boxes) if boxes is not None else [None] * len(pictures)
    # 1. find and encode each face (detection runs per picture)
    encoded = []
    for i, (picture, box) in enumerate(zip(pictures, boxes, strict=True)):
        share = progress.sub(0.9 * i / max(1, len(pictures)), 0.9 * (i + 1) / max(1, len(pictures)))
        share.report(0.0, "finding and fitting faces")
        encoded.append(editor.encode(picture.pixels, box, share, exact_box=exact_boxes))
    progress.check()
    # 2-3. decode the edited and the unedited codes of the whole chunk in one pass each
    codes = torch.stack([face.code for face in encoded])
    edited = editor.decode(editor.move(codes, offset))
    reference = editor.decode(codes) if paste == "delta" else [None] * len(pictures)
    progress.report(0.9, "pasting back")
    # 4. paste back (gray stays gray; size, detail, bit depth and alpha kept)
    results = []
    for picture, face, edited_face, reference_face in zip(pictures, encoded, edited, reference, strict=True):
        shown = gray_face(edited_face) if picture.is_gray else edited_face
        results.append(FaceEdit(paste_face(picture, face.crop, edited_face, reference_face), shown, face.crop))
    return results


def edit_picture(
    editor: LatentEditor,
    picture: Picture,
    sliders: Mapping[str, float],
    box: Box | None = None,
    paste: str = "delta",
    exact_box: bool = False,
) -> FaceEdit:
    """One picture's face edited by the sliders (see `edit_pictures`)."""
    return edit_pictures(editor, [picture], sliders, [box], paste, exact_boxes=exact_box)[0]
