"""The colorizer network: lightness + user hints -> chroma, a lean U-Net for interactive CPU use.

Input (N, 4, H, W), H and W multiples of 16: L/50 - 1, hint a/110, hint b/110, hint mask (1 where the user
gave a colour), as in Zhang et al. 2017 ("Real-Time User-Guided Image Colorization"). The network works at
half resolution after a full-resolution stem (chroma varies slowly, and the full-resolution L of the
original is put back later), adds encoder features into the decoder (additive skips are cheaper than
concatenation), dilates the deepest level and adds a global-context vector so the whole picture informs
every pixel. Output at H/2 x W/2:

- ``head="classify"``: logits over the quantized ab bins (``ab_bins`` buffer); ``decode`` takes the
  annealed mean. The training data's bin prior is kept in the ``prior`` buffer for reproducibility.
- ``head="regress"``: ab / 110 directly (the plain-L2 baseline, same backbone).

About 3.3 GFLOPs and 1.5 M parameters (6 MiB) per 256 x 256 forward pass at width 32.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from latent_studio.models.colorizer.quantize import ANNEAL_T, annealed_mean, gamut_bins, prior_correction

AB_SCALE = 110.0


def conv_bn(cin: int, cout: int, stride: int = 1, dilation: int = 1) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, stride=stride, padding=dilation, dilation=dilation, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
    )


class Up(nn.Module):
    """2x bilinear upsampling, 1x1 channel reduction, additive skip, then a 3x3 conv."""

    def __init__(self, cin: int, cout: int) -> None:
        super().__init__()
        self.reduce = nn.Conv2d(cin, cout, 1)
        self.conv = conv_bn(cout, cout)

    def forward(self, x: torch.Tensor, skip: torch.Tensor) -> torch.Tensor:
        x = F.interpolate(x, size=skip.shape[-2:], mode="bilinear", align_corners=False)
        return self.conv(self.reduce(x) + skip)


class Colorizer(nn.Module):
    """L + ab hints + mask -> ab logits (classify) or ab (regress) at half resolution."""

    MULTIPLE = 16
    ab_bins: torch.Tensor  # buffers of the classify head: the bins' (a, b) and the training data's bin prior
    prior: torch.Tensor

    def __init__(
        self,
        width: int = 32,
        head: str = "classify",
        num_bins: int | None = None,
        deep: int = 192,
        temperature: float = ANNEAL_T,
        prior_correction: float = 0.0,
    ) -> None:
        super().__init__()
        if head not in ("classify", "regress"):
            raise ValueError(f"head must be 'classify' or 'regress', not {head!r}")
        self.head_kind, self.width, self.deep = head, width, deep
        self.temperature = temperature  # annealed-mean decoding: lower is more vivid, higher is safer
        self.prior_correction = prior_correction  # share of the class rebalancing undone at decode (< 0: added)
        w = width
        self.stem = conv_bn(4, w // 2)
        self.enc1 = nn.Sequential(conv_bn(w // 2, w, stride=2), conv_bn(w, w))
        self.enc2 = nn.Sequential(conv_bn(w, 2 * w, stride=2), conv_bn(2 * w, 2 * w))
        self.enc3 = nn.Sequential(conv_bn(2 * w, 4 * w, stride=2), conv_bn(4 * w, 4 * w))
        self.enc4 = nn.Sequential(
            conv_bn(4 * w, deep, stride=2), conv_bn(deep, deep, dilation=2), conv_bn(deep, deep, dilation=2)
        )
        self.context = nn.Sequential(nn.Linear(deep, deep), nn.ReLU(inplace=True), nn.Linear(deep, deep))
        self.up3 = Up(deep, 4 * w)
        self.up2 = Up(4 * w, 2 * w)
        self.up1 = Up(2 * w, w)
        if head == "classify":
            bins = gamut_bins() if num_bins is None else torch.zeros(num_bins, 2)  # filled by load_state_dict
            self.register_buffer("ab_bins", bins)
            self.register_buffer("prior", torch.full((bins.shape[0],), 1.0 / bins.shape[0]))
            self.head = nn.Conv2d(w, bins.shape[0], 1)
        else:
            self.head = nn.Conv2d(w, 2, 1)

    @property
    def num_bins(self) -> int:
        return int(self.ab_bins.shape[0]) if self.head_kind == "classify" else 0

    def config(self) -> dict:
        """The constructor kwargs that rebuild this architecture (written to config.json)."""
        return {
            "width": self.width,
            "head": self.head_kind,
            "num_bins": self.num_bins or None,
            "deep": self.deep,
            "temperature": self.temperature,
            "prior_correction": self.prior_correction,
        }

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s0 = self.stem(x)
        s1 = self.enc1(s0)
        s2 = self.enc2(s1)
        s3 = self.enc3(s2)
        s4 = self.enc4(s3)
        s4 = s4 + self.context(s4.mean(dim=(2, 3))).to(s4.dtype)[:, :, None, None]
        y = self.up3(s4, s3)
        y = self.up2(y, s2)
        y = self.up1(y, s1)
        return self.head(y)

    def vivid_correction(self, vividness: float) -> float:
        """The prior correction to decode with at the app's vividness v (0-1): v more of the class rebalancing's
        tilt towards rare, saturated colours than the shipped setting (the regression head ignores it)."""
        return self.prior_correction - vividness

    def decode(
        self,
        output: torch.Tensor,
        temperature: float | None = None,
        correction: float | None = None,
    ) -> torch.Tensor:
        """Network output -> (N, 2, h, w) ab in Lab units (float32); both decode settings overridable."""
        if self.head_kind == "classify":
            temperature = self.temperature if temperature is None else temperature
            bias = prior_correction(self.prior, self.prior_correction if correction is None else correction)
            return annealed_mean(output, self.ab_bins, temperature, bias)
        return output.float() * AB_SCALE


def make_input(lightness: torch.Tensor, hint_ab: torch.Tensor, hint_mask: torch.Tensor) -> torch.Tensor:
    """(N,1,H,W) L in [0,100], (N,2,H,W) hint ab, (N,1,H,W) mask -> the network's (N,4,H,W) input."""
    return torch.cat([lightness / 50.0 - 1.0, hint_ab * hint_mask / AB_SCALE, hint_mask], dim=1)
