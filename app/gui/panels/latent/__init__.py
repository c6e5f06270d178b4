"""The Latent panel: the panel (`panel`) and its modes' session (`session`, `state`), widgets (`layout`,
`widgets`), the face box on the canvas (`crop`) and the jobs it submits (`jobs`)."""
