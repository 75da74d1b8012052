"""Impor: importing a region's existing agreements from its legacy register (CSV or XLSX)."""

from __future__ import annotations

TEXTS: dict[str, tuple[str, str]] = {
    "import.title": ("Impor data kerja sama", "Import cooperation records"),
    "import.intro": ("Unggah register kerja sama yang sudah berjalan. Setiap baris yang benar menjadi kerja sama "
                     "beserta naskah yang ditandatangani. Periksa berkas lebih dulu: pemeriksaan tidak menyimpan apa pun.",
                     "Upload the register of the cooperations already running. Each valid row becomes a cooperation "
                     "with its signed agreement. Check the file first: a check stores nothing."),
    "import.see_formats": ("Format, kolom dan templat", "Formats, columns and template"),
    "import.formats": ("Format berkas", "File formats"),
    "import.formats.csv": ("CSV (UTF-8), dipisah koma atau titik koma", "CSV (UTF-8), comma or semicolon separated"),
    "import.formats.xlsx": ("XLSX (Excel), lembar pertama", "XLSX (Excel), the first sheet"),
    "import.limit": ("Ukuran berkas paling besar {size}.", "The largest file accepted is {size}."),
    "import.limit.unpublished": ("Bila berkas terlalu besar, Jalin menyebutkan batas ukurannya; pecah register menjadi "
                                 "beberapa berkas.",
                                 "If the file is too large, Jalin states the limit; split the register into several files."),
    "import.columns": ("Kolom", "Columns"),
    "import.columns.help": ("Baris pertama berisi nama kolom seperti pada templat. Kolom lain (misalnya No) diabaikan "
                            "dan disebutkan dalam laporan; bila kolom wajib tidak ada, berkas ditolak dan kolom yang "
                            "kurang disebutkan.",
                            "The first row names the columns as in the template. Other columns (such as No) are ignored "
                            "and listed in the report; if a required column is missing, the file is refused and the "
                            "missing columns are named."),
    "import.columns.example": ("contoh", "example"),
    "import.template": ("Templat", "Template"),
    "import.template.comma": ("Unduh templat CSV (koma)", "Download the CSV template (comma)"),
    "import.template.semicolon": ("Unduh templat CSV (titik koma, untuk Excel berbahasa Indonesia)",
                                  "Download the CSV template (semicolon, for Excel with Indonesian settings)"),
    "import.form": ("Unggah register", "Upload the register"),
    "import.file": ("Berkas register (CSV atau XLSX)", "Register file (CSV or XLSX)"),
    "import.dry_run": ("Periksa dulu (dry run)", "Check first (dry run)"),
    "import.run": ("Impor", "Import"),
    "import.form.help": ("Periksa dulu tidak menyimpan apa pun. Impor menyimpan baris yang benar; baris yang sudah "
                         "pernah diimpor (nomor yang sama) tidak ditambahkan lagi.",
                         "A check stores nothing. Import stores the valid rows; rows already imported (the same "
                         "number) are not added again."),
    "import.progress": ("Mengunggah berkas", "Uploading the file"),
    "import.again": ("Untuk mengimpor berkas yang sama, pilih berkas itu lagi di atas lalu tekan Impor.",
                     "To import the same file, choose it again above and press Import."),
    "import.again.htmx": ("Berkas yang dipilih di atas masih sama: tekan Impor untuk menyimpan baris yang benar.",
                          "The file chosen above is still the same: press Import to store the valid rows."),
    # The report
    "import.report.dry_run": ("Hasil pemeriksaan", "Check result"),
    "import.report.done": ("Hasil impor", "Import result"),
    "import.report.file": ("Berkas", "File"),
    "import.report.nothing_stored": ("Pemeriksaan saja: belum ada yang disimpan.", "A check only: nothing was stored."),
    "import.report.rows": ("Baris data", "Data rows"),
    "import.report.would_import": ("Akan diimpor", "Would be imported"),
    "import.report.imported": ("Diimpor", "Imported"),
    "import.report.already": ("Sudah pernah diimpor", "Already imported"),
    "import.report.bad_rows": ("Baris bermasalah", "Rows with errors"),
    "import.report.errors": ("Kesalahan per sel", "Errors by cell"),
    "import.report.errors.none": ("Tidak ada kesalahan.", "No errors."),
    "import.report.errors.more": ("dan {n} kesalahan lain tidak ditampilkan: perbaiki yang di atas lalu periksa lagi.",
                                  "and {n} more errors not shown: fix those above and check again."),
    "import.report.row": ("Baris", "Row"),
    "import.report.column": ("Kolom", "Column"),
    "import.report.error": ("Kesalahan", "Error"),
    "import.report.ignored": ("Kolom yang diabaikan", "Ignored columns"),
    "import.report.see": ("Lihat daftar kerja sama", "See the cooperations"),
    # Refusals of the whole file
    "import.refused.none": ("Pilih berkas CSV atau XLSX terlebih dahulu.", "Choose a CSV or XLSX file first."),
    "import.refused.415": ("Format berkas tidak didukung. Unggah berkas CSV (UTF-8) atau XLSX.",
                           "This file format is not accepted. Upload a CSV (UTF-8) or XLSX file."),
    "import.refused.413": ("Berkas terlalu besar (batas {size}). Pecah register menjadi beberapa berkas.",
                           "The file is too large (limit {size}). Split the register into several files."),
    "import.refused.413.nosize": ("Berkas terlalu besar. Pecah register menjadi beberapa berkas.",
                                  "The file is too large. Split the register into several files."),
    "import.refused.missing": ("Kolom wajib tidak ada: {columns}. Tambahkan kolom itu (lihat templat).",
                               "Required columns are missing: {columns}. Add them (see the template)."),
    "import.refused.422": ("Berkas tidak dapat diimpor.", "The file cannot be imported."),
    "import.refused.400": ("Unggahan tidak terbaca. Pilih berkas lalu kirim lagi.",
                           "The upload could not be read. Choose the file and send it again."),
    "import.refused.detail": ("Keterangan layanan", "The service says"),
}
