//! A byte buffer that keeps only the last `cap` bytes written to it, so a learner's
//! program that prints a gigabyte costs the engine `cap` bytes of memory.
use std::collections::VecDeque;

#[derive(Debug)]
pub struct Tail {
    buf: VecDeque<u8>,
    cap: usize,
    dropped: u64,
}

impl Tail {
    pub fn new(cap: usize) -> Tail {
        Tail { buf: VecDeque::with_capacity(cap.min(64 * 1024)), cap, dropped: 0 }
    }

    pub fn push(&mut self, bytes: &[u8]) {
        if bytes.len() >= self.cap {
            self.dropped += (self.buf.len() + bytes.len() - self.cap) as u64;
            self.buf.clear();
            self.buf.extend(&bytes[bytes.len() - self.cap..]);
            return;
        }
        let overflow = (self.buf.len() + bytes.len()).saturating_sub(self.cap);
        self.buf.drain(..overflow);
        self.dropped += overflow as u64;
        self.buf.extend(bytes);
    }

    /// The kept text, starting at a line boundary when bytes were dropped so the
    /// first line shown is never half a line.
    pub fn text(&self) -> String {
        let bytes: Vec<u8> = self.buf.iter().copied().collect();
        let text = String::from_utf8_lossy(&bytes);
        if self.dropped > 0 {
            if let Some(nl) = text.find('\n') {
                return text[nl + 1..].to_string();
            }
        }
        text.into_owned()
    }

    pub fn dropped(&self) -> u64 {
        self.dropped
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_everything_under_the_cap() {
        let mut t = Tail::new(16);
        t.push(b"hello\n");
        t.push(b"world\n");
        assert_eq!(t.text(), "hello\nworld\n");
        assert_eq!(t.dropped(), 0);
    }

    #[test]
    fn keeps_the_last_bytes_from_a_line_boundary() {
        let mut t = Tail::new(10);
        for i in 0..100 {
            t.push(format!("line {i}\n").as_bytes());
        }
        assert_eq!(t.text(), "line 99\n");
        assert!(t.dropped() > 500);
    }

    #[test]
    fn a_single_huge_write_keeps_its_end() {
        let mut t = Tail::new(4);
        t.push(b"ab");
        t.push(b"0123456789");
        assert_eq!(t.buf.len(), 4);
        assert_eq!(t.dropped(), 8);
    }
}
