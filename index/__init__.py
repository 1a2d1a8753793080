"""Index: embedders, the FAISS vector store, the BM25 keyword index and the on-disk index."""
