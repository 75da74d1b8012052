from jalin_kit.serve import main

from jalin_documents.settings import DocumentsSettings

if __name__ == "__main__":
    main(DocumentsSettings, "jalin_documents.app")
