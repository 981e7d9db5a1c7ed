//! Test-only helpers: a protobuf encoder and a base64 encoder for building
//! inputs.

/// Appends protobuf wire-format fields to a byte vector.
#[derive(Default)]
pub(crate) struct Writer(pub(crate) Vec<u8>);

impl Writer {
    pub(crate) fn varint(&mut self, mut v: u64) -> &mut Self {
        loop {
            let b = (v & 0x7f) as u8;
            v >>= 7;
            if v == 0 {
                self.0.push(b);
                return self;
            }
            self.0.push(b | 0x80);
        }
    }

    pub(crate) fn key(&mut self, field: u32, wire: u8) -> &mut Self {
        self.varint((u64::from(field) << 3) | u64::from(wire))
    }

    pub(crate) fn bytes(&mut self, field: u32, data: &[u8]) -> &mut Self {
        self.key(field, 2).varint(data.len() as u64);
        self.0.extend_from_slice(data);
        self
    }

    pub(crate) fn string(&mut self, field: u32, s: &str) -> &mut Self {
        self.bytes(field, s.as_bytes())
    }

    pub(crate) fn boolean(&mut self, field: u32, b: bool) -> &mut Self {
        self.key(field, 0).varint(u64::from(b))
    }
}

/// A `FlagInfo` message with a name, commands and optional negative form.
pub(crate) fn flag_message(name: &str, commands: &[&str], negative: bool) -> Vec<u8> {
    let mut w = Writer::default();
    w.string(1, name).boolean(2, negative);
    for command in commands {
        w.string(4, command);
    }
    w.0
}

/// A `FlagCollection` of the given `FlagInfo` messages.
pub(crate) fn collection(messages: &[Vec<u8>]) -> Vec<u8> {
    let mut w = Writer::default();
    for message in messages {
        w.bytes(1, message);
    }
    w.0
}

/// Standard base64 with padding.
pub(crate) fn base64_encode(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | (u32::from(b) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}
