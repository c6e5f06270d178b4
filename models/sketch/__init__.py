"""Sketch -> image: a pix2pix U-Net with colour hints (network, spec), its line extractor (lines), training
(pack, data, hints, discriminator, train; bookkeeping in models.training) and held-out evaluation (scoring,
evaluate)."""
