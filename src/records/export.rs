//! `acdhub export`: one tenant's call or conversation records of one local day, as CSV or JSON
//! lines.
//!
//! It reads the day's file as [`super::file`] writes it, and may run while the server appends
//! to it: a last line without its newline is still being written and is left out.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use jiff::civil::Date;
use serde_json::{Map, Value};

use super::csv;
use super::file::{Kind, kind_day_path};

/// What an export writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// A header row, then one row per record (RFC 4180, CRLF line endings); a conversation's
    /// row leaves its transcript out.
    Csv,
    /// The file's lines as they are: one JSON object per record, a conversation's with its
    /// transcript.
    Jsonl,
}

/// Why an export failed, naming the file it was reading.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("no {}s for tenant `{tenant}` on {day}: {} does not exist", kind.noun(), path.display())]
    NoRecords {
        kind: Kind,
        tenant: String,
        day: Date,
        path: PathBuf,
    },
    /// The tenant id cannot name a folder (`..`, a slash).
    #[error(transparent)]
    BadTenant(io::Error),
    #[error("cannot read {}: {source}", path.display())]
    Read { path: PathBuf, source: io::Error },
    #[error("{}:{line}: not a {}: {source}", path.display(), kind.noun())]
    BadRecord {
        kind: Kind,
        path: PathBuf,
        line: usize,
        source: serde_json::Error,
    },
    /// Writing the output failed; a reader that went away (`| head`) is `BrokenPipe`.
    #[error("cannot write the export: {0}")]
    Write(io::Error),
}

/// One tenant's record file of one kind and day, open for reading. Opening comes first, so a
/// day with no file is reported before any output is created.
#[derive(Debug)]
pub struct DayRecords {
    kind: Kind,
    path: PathBuf,
    reader: BufReader<File>,
}

impl DayRecords {
    /// Opens the records of `kind` of `tenant` that ended on `day` (local to the tenant) under
    /// `data_dir`.
    pub fn open(
        data_dir: &Path,
        tenant: &str,
        kind: Kind,
        day: Date,
    ) -> Result<DayRecords, ExportError> {
        let path = kind_day_path(kind, data_dir, tenant, day).map_err(ExportError::BadTenant)?;
        match File::open(&path) {
            Ok(file) => Ok(DayRecords {
                kind,
                path,
                reader: BufReader::new(file),
            }),
            Err(source) if source.kind() == io::ErrorKind::NotFound => {
                Err(ExportError::NoRecords {
                    kind,
                    tenant: tenant.to_owned(),
                    day,
                    path,
                })
            }
            Err(source) => Err(ExportError::Read { path, source }),
        }
    }

    /// The file read.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes every whole record to `out` in `format`, and flushes it.
    pub fn export(mut self, format: Format, out: &mut dyn Write) -> Result<(), ExportError> {
        if format == Format::Csv {
            out.write_all(csv::header_of(self.kind).as_bytes())
                .map_err(ExportError::Write)?;
        }
        let mut line = Vec::new();
        for number in 1.. {
            line.clear();
            self.reader
                .read_until(b'\n', &mut line)
                .map_err(|source| ExportError::Read {
                    path: self.path.clone(),
                    source,
                })?;
            // The end, or a line the server is still writing.
            if line.last() != Some(&b'\n') {
                break;
            }
            match format {
                Format::Jsonl => out.write_all(&line).map_err(ExportError::Write)?,
                Format::Csv => {
                    let record: Map<String, Value> =
                        serde_json::from_slice(&line).map_err(|source| ExportError::BadRecord {
                            kind: self.kind,
                            path: self.path.clone(),
                            line: number,
                            source,
                        })?;
                    out.write_all(csv::row_of(self.kind, &record).as_bytes())
                        .map_err(ExportError::Write)?;
                }
            }
        }
        out.flush().map_err(ExportError::Write)
    }
}
