//! A streaming ZIP writer (PKWARE APPNOTE 6.3): entries are deflated as they are written and
//! the bytes handed out at once, so a workbook never sits whole in memory.
//!
//! Streamed entries set general-purpose flag bit 3 and carry their CRC-32 and sizes in a
//! data descriptor after the data; the central directory at the end repeats them. Times are
//! fixed at 1980-01-01 00:00 (the earliest DOS time), so the same table gives the same
//! bytes. No ZIP64: an archive over 4 GiB or 65 535 entries is an error.

use std::io::Write;

use crc32fast::Hasher;
use flate2::Compression;
use flate2::write::DeflateEncoder;

const LOCAL_HEADER: u32 = 0x0403_4b50;
const DATA_DESCRIPTOR: u32 = 0x0807_4b50;
const CENTRAL_HEADER: u32 = 0x0201_4b50;
const END_OF_CENTRAL_DIRECTORY: u32 = 0x0605_4b50;
/// Bit 3: sizes in a data descriptor. Bit 11: names are UTF-8.
const FLAGS: u16 = 0x0808;
const DEFLATE: u16 = 8;
const VERSION: u16 = 20;
/// 1980-01-01 in DOS date format (day 1, month 1, year 0).
const DOS_DATE: u16 = (1 << 5) | 1;

struct Entry {
    name: String,
    crc: u32,
    compressed: u64,
    uncompressed: u64,
    offset: u64,
}

struct Open {
    encoder: DeflateEncoder<Vec<u8>>,
    hasher: Hasher,
    uncompressed: u64,
    compressed: u64,
}

/// Writes a ZIP archive into an internal buffer that [`take`](Self::take) drains.
pub struct ZipStream {
    out: Vec<u8>,
    written: u64,
    entries: Vec<Entry>,
    open: Option<Open>,
    level: Compression,
}

fn u16le(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn u32le(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn fit32(v: u64, what: &str) -> Result<u32, String> {
    u32::try_from(v).map_err(|_| format!("{what} over 4 GiB: ZIP64 is not supported"))
}

impl ZipStream {
    pub fn new(level: Compression) -> Self {
        ZipStream {
            out: Vec::new(),
            written: 0,
            entries: Vec::new(),
            open: None,
            level,
        }
    }

    /// The bytes produced since the last call.
    pub fn take(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.out)
    }

    fn emit(&mut self, bytes: &[u8]) {
        self.out.extend_from_slice(bytes);
        self.written += bytes.len() as u64;
    }

    /// Starts a streamed entry; its data follows through [`write`](Self::write).
    pub fn start(&mut self, name: &str) -> Result<(), String> {
        if self.open.is_some() {
            self.finish_entry()?;
        }
        if self.entries.len() >= usize::from(u16::MAX) {
            return Err("more than 65 535 entries".into());
        }
        let mut header = Vec::with_capacity(30 + name.len());
        u32le(&mut header, LOCAL_HEADER);
        u16le(&mut header, VERSION);
        u16le(&mut header, FLAGS);
        u16le(&mut header, DEFLATE);
        u16le(&mut header, 0); // time 00:00:00
        u16le(&mut header, DOS_DATE);
        u32le(&mut header, 0); // CRC-32, in the data descriptor
        u32le(&mut header, 0); // compressed size, ditto
        u32le(&mut header, 0); // uncompressed size, ditto
        u16le(&mut header, name.len() as u16);
        u16le(&mut header, 0); // extra field length
        header.extend_from_slice(name.as_bytes());
        self.entries.push(Entry {
            name: name.to_string(),
            crc: 0,
            compressed: 0,
            uncompressed: 0,
            offset: self.written,
        });
        self.emit(&header);
        self.open = Some(Open {
            encoder: DeflateEncoder::new(Vec::new(), self.level),
            hasher: Hasher::new(),
            uncompressed: 0,
            compressed: 0,
        });
        Ok(())
    }

    /// Adds data to the open entry.
    pub fn write(&mut self, data: &[u8]) -> Result<(), String> {
        let open = self.open.as_mut().ok_or("no open entry")?;
        open.hasher.update(data);
        open.uncompressed += data.len() as u64;
        open.encoder.write_all(data).map_err(|e| e.to_string())?;
        // Hand on whatever the compressor has produced so far.
        let produced = std::mem::take(open.encoder.get_mut());
        open.compressed += produced.len() as u64;
        self.emit(&produced);
        Ok(())
    }

    /// Closes the open entry: the rest of its compressed data and its data descriptor.
    pub fn finish_entry(&mut self) -> Result<(), String> {
        let Some(open) = self.open.take() else {
            return Ok(());
        };
        let rest = open.encoder.finish().map_err(|e| e.to_string())?;
        let compressed = open.compressed + rest.len() as u64;
        let crc = open.hasher.finalize();
        self.emit(&rest);
        let mut descriptor = Vec::with_capacity(16);
        u32le(&mut descriptor, DATA_DESCRIPTOR);
        u32le(&mut descriptor, crc);
        u32le(&mut descriptor, fit32(compressed, "an entry")?);
        u32le(&mut descriptor, fit32(open.uncompressed, "an entry")?);
        self.emit(&descriptor);
        let entry = self.entries.last_mut().expect("open entry");
        entry.crc = crc;
        entry.compressed = compressed;
        entry.uncompressed = open.uncompressed;
        Ok(())
    }

    /// A whole entry at once.
    pub fn entry(&mut self, name: &str, data: &[u8]) -> Result<(), String> {
        self.start(name)?;
        self.write(data)?;
        self.finish_entry()
    }

    /// Closes the archive: the central directory and its end record.
    pub fn finish(&mut self) -> Result<(), String> {
        self.finish_entry()?;
        let start = self.written;
        let mut directory = Vec::new();
        for entry in &self.entries {
            u32le(&mut directory, CENTRAL_HEADER);
            u16le(&mut directory, VERSION); // made by (MS-DOS, 2.0)
            u16le(&mut directory, VERSION); // needed to extract
            u16le(&mut directory, FLAGS);
            u16le(&mut directory, DEFLATE);
            u16le(&mut directory, 0);
            u16le(&mut directory, DOS_DATE);
            u32le(&mut directory, entry.crc);
            u32le(&mut directory, fit32(entry.compressed, "an entry")?);
            u32le(&mut directory, fit32(entry.uncompressed, "an entry")?);
            u16le(&mut directory, entry.name.len() as u16);
            u16le(&mut directory, 0); // extra field length
            u16le(&mut directory, 0); // comment length
            u16le(&mut directory, 0); // disk number
            u16le(&mut directory, 0); // internal attributes
            u32le(&mut directory, 0); // external attributes
            u32le(&mut directory, fit32(entry.offset, "the archive")?);
            directory.extend_from_slice(entry.name.as_bytes());
        }
        let count = self.entries.len() as u16;
        let size = fit32(directory.len() as u64, "the central directory")?;
        u32le(&mut directory, END_OF_CENTRAL_DIRECTORY);
        u16le(&mut directory, 0); // this disk
        u16le(&mut directory, 0); // disk with the central directory
        u16le(&mut directory, count);
        u16le(&mut directory, count);
        u32le(&mut directory, size);
        u32le(&mut directory, fit32(start, "the archive")?);
        u16le(&mut directory, 0); // comment length
        self.emit(&directory);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn a_zip_reader_reads_streamed_entries() {
        let mut zip = ZipStream::new(Compression::fast());
        let mut bytes = Vec::new();
        zip.entry("a.txt", b"hello").unwrap();
        bytes.extend(zip.take());
        zip.start("dir/b.xml").unwrap();
        for i in 0..10_000 {
            zip.write(format!("<row r=\"{i}\"/>").as_bytes()).unwrap();
            bytes.extend(zip.take());
        }
        zip.entry("empty", b"").unwrap();
        zip.finish().unwrap();
        bytes.extend(zip.take());

        let mut archive = ::zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
        assert_eq!(archive.len(), 3);
        let mut text = String::new();
        archive
            .by_name("a.txt")
            .unwrap()
            .read_to_string(&mut text)
            .unwrap();
        assert_eq!(text, "hello");
        text.clear();
        archive
            .by_name("dir/b.xml")
            .unwrap()
            .read_to_string(&mut text)
            .unwrap();
        assert!(
            text.starts_with("<row r=\"0\"/><row r=\"1\"/>") && text.ends_with("<row r=\"9999\"/>")
        );
        assert_eq!(archive.by_name("empty").unwrap().size(), 0);
    }
}
