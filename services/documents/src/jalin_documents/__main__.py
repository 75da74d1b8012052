from jalin_kit.serve import serve

from jalin_documents.app import build
from jalin_documents.settings import DocumentsSettings

if __name__ == "__main__":
    serve(build, DocumentsSettings)  # from the environment, or a clear refusal
