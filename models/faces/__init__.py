"""Face detection with 5 landmarks (MTCNN, Zhang et al. 2016): our own P-Net/R-Net/O-Net definitions, the
recipe that converts the MIT-licensed weights shipped in the facenet-pytorch wheel to safetensors, and the
three-stage cascade."""
