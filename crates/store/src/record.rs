//! The stored form of entries: a compatibility promise, kept apart from the core types.
//!
//! A record is stored as `[format version: u8][hash: 32 bytes][payload]`, the payload being the
//! postcard encoding of [`EntryV1`] (postcard's wire format is frozen at 1.0). The hash is over the
//! payload, which holds the previous entry's hash: that is the chain. The version says how the
//! payload is hashed ([`payload_hash`]): version 1 as stored, version 2 with zero bytes before the
//! record's place in the chain. A payload of new fields would add an `EntryV2` and a conversion; old
//! records keep decoding as V1.
//!
//! The same types serialize to JSON for `log --format json` and `archive`: serde's human-readable
//! flag switches amounts to "1234.50" strings and dates to "2022-06-30", so JSON carries every field in
//! the report format while postcard stores compact integers.

use std::borrow::Cow;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use taizhang_core as core;
use taizhang_core::classify::Figures;
use taizhang_core::{
    AdjustReason, Basis, Category, ExpenseType, Frequency, Fund, Industry, Method, Purpose, Role,
    Special, SupplierSize,
};

use crate::hash::{HashAlgo, Hasher};

/// The record format this build writes; it reads this and every older one.
pub const FORMAT_VERSION: u8 = 2;
pub const HASH_BYTES: usize = 32;

/// An amount in 分: an integer in postcard, a "1234.50" string in JSON.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fen(pub i64);

impl Serialize for Fen {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            s.serialize_str(&core::Amount::from_fen(self.0).to_string())
        } else {
            s.serialize_i64(self.0)
        }
    }
}

impl<'de> Deserialize<'de> for Fen {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Fen, D::Error> {
        if d.is_human_readable() {
            let text = String::deserialize(d)?;
            core::Amount::parse(&text)
                .map(|a| Fen(a.fen()))
                .map_err(serde::de::Error::custom)
        } else {
            i64::deserialize(d).map(Fen)
        }
    }
}

/// A date: days since 0001-01-01 in postcard, "2022-06-30" in JSON.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Day(pub NaiveDate);

impl Serialize for Day {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            s.serialize_str(&self.0.to_string())
        } else {
            use chrono::Datelike;
            s.serialize_i32(self.0.num_days_from_ce())
        }
    }
}

impl<'de> Deserialize<'de> for Day {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Day, D::Error> {
        if d.is_human_readable() {
            let text = String::deserialize(d)?;
            text.parse().map(Day).map_err(serde::de::Error::custom)
        } else {
            let days = i32::deserialize(d)?;
            NaiveDate::from_num_days_from_ce_opt(days)
                .map(Day)
                .ok_or_else(|| serde::de::Error::custom("day out of range"))
        }
    }
}

/// A vocabulary word: a stable one-byte code in postcard, its English key in JSON. The codes are
/// listed here, explicitly, because they are stored: never renumber one, only add.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Word<T>(pub T);

pub trait Stable: Copy + Sized {
    fn code(self) -> u8;
    fn from_code(code: u8) -> Option<Self>;
    fn key(self) -> &'static str;
    fn from_key(key: &str) -> Option<Self>;
}

macro_rules! stable_codes {
    ($($t:ident { $($v:ident = $code:literal),+ $(,)? })+) => {$(
        impl Stable for $t {
            fn code(self) -> u8 {
                match self { $($t::$v => $code),+ }
            }
            fn from_code(code: u8) -> Option<$t> {
                match code { $($code => Some($t::$v),)+ _ => None }
            }
            fn key(self) -> &'static str {
                $t::key(self)
            }
            fn from_key(key: &str) -> Option<$t> {
                $t::parse(key).ok()
            }
        }
    )+};
}

stable_codes! {
    Fund { General = 0, GovFund = 1, StateCapital = 2, Other = 3 }
    ExpenseType { Basic = 0, Project = 1 }
    Purpose { Construction = 0, Interest = 1, IssueFee = 2, Other = 3 }
    Category { Goods = 0, Works = 1, Services = 2 }
    Method { Open = 0, Invited = 1, Negotiation = 2, Consultation = 3, Single = 4, Inquiry = 5, Framework = 6, Other = 7 }
    SupplierSize { Large = 0, Medium = 1, Small = 2, Micro = 3 }
    Special { Prison = 0, DisabledWelfare = 1 }
    Frequency { Annual = 0, SemiAnnual = 1 }
    AdjustReason { Correction = 0, Recovery = 1, TransferIn = 2, TransferOut = 3, Remit = 4, Internal = 5, Other = 6 }
    Role { Admin = 0, Maker = 1, Checker = 2, Auditor = 3, Viewer = 4 }
    Basis { Delivery = 0, Acceptance = 1 }
    Industry { Industrial = 0, Construction = 1, Wholesale = 2, Retail = 3, Software = 4, Leasing = 5, Other = 6, Agriculture = 7, Transport = 8, Warehousing = 9, Postal = 10, Accommodation = 11, Catering = 12, InfoTransmission = 13, RealEstate = 14, PropertyManagement = 15 }
}

impl<T: Stable> Serialize for Word<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            s.serialize_str(self.0.key())
        } else {
            s.serialize_u8(self.0.code())
        }
    }
}

impl<'de, T: Stable> Deserialize<'de> for Word<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Word<T>, D::Error> {
        let word = if d.is_human_readable() {
            let key = String::deserialize(d)?;
            T::from_key(&key)
                .ok_or_else(|| serde::de::Error::custom(format!("unknown word {key}")))?
        } else {
            let code = u8::deserialize(d)?;
            T::from_code(code)
                .ok_or_else(|| serde::de::Error::custom(format!("unknown code {code}")))?
        };
        Ok(Word(word))
    }
}

/// When an entry was recorded: microseconds since the Unix epoch in postcard, RFC 3339 (UTC) in JSON.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Micros(pub i64);

impl Micros {
    pub fn now() -> Micros {
        Micros(chrono::Utc::now().timestamp_micros())
    }
}

impl std::fmt::Display for Micros {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match chrono::DateTime::from_timestamp_micros(self.0) {
            Some(t) => f.write_str(&t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)),
            None => write!(f, "{}µs", self.0),
        }
    }
}

impl Serialize for Micros {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            s.serialize_str(&self.to_string())
        } else {
            s.serialize_i64(self.0)
        }
    }
}

impl<'de> Deserialize<'de> for Micros {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Micros, D::Error> {
        if d.is_human_readable() {
            let text = String::deserialize(d)?;
            let t =
                chrono::DateTime::parse_from_rfc3339(&text).map_err(serde::de::Error::custom)?;
            Ok(Micros(t.timestamp_micros()))
        } else {
            i64::deserialize(d).map(Micros)
        }
    }
}

/// One stored entry, version 1.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
///
/// The fields are in this order so that everything known before the entry's place in the chain
/// comes first: the body and its provenance can be encoded and hashed ahead (on the parsing thread),
/// and the sequence number and previous hash close the payload. See [`encode_prefix`].
pub struct EntryV1 {
    pub body: BodyV1<'static>,
    pub operator: String,
    /// "file.csv:12" or "命令行".
    pub source: String,
    pub recorded_at: Micros,
    pub seq: u64,
    #[serde(with = "hex_hash")]
    pub prev_hash: [u8; HASH_BYTES],
}

/// The version byte and the hash that precede a payload in a stored value.
pub const HEADER_BYTES: usize = 1 + HASH_BYTES;

/// A stored value in the making: room for the header, then the first part of the payload, exactly
/// the bytes `encode_payload` writes before `seq`. (postcard writes a struct as its fields one after
/// another, so a tuple of the same fields encodes the same.) [`seal`] completes it.
pub fn encode_prefix(
    body: &BodyV1<'_>,
    operator: &str,
    source: &str,
    recorded_at: Micros,
) -> Vec<u8> {
    let mut value = Vec::with_capacity(HEADER_BYTES + PAYLOAD_BYTES_TYPICAL);
    value.resize(HEADER_BYTES, 0);
    postcard::to_extend(&(body, operator, source, recorded_at), value)
        .expect("encoding to memory cannot fail")
}

/// The hash of a record's payload, by the rule of its format version, given the sequence number the
/// record should have (a record that claims another fails its check on `seq` anyway).
///
/// Version 1 hashes the payload as stored. Version 2 hashes it with zero bytes inserted before the
/// record's place in the chain (its sequence number and the previous hash) up to a multiple of 64
/// bytes, SM3's and SHA-256's block: everything before the place can be hashed ahead, on the parsing
/// thread, and closing the chain costs one block per record, not two. Not stored: the zeros are part
/// of the rule, as SM3's own padding is. None: a payload too short to hold a place in the chain.
pub fn payload_hash(
    algo: HashAlgo,
    version: u8,
    payload: &[u8],
    seq: u64,
) -> Option<[u8; HASH_BYTES]> {
    let mut hasher = Hasher::new(algo);
    if version == 1 {
        hasher.update(payload);
        return Some(hasher.finish());
    }
    let place = payload.len().checked_sub(place_bytes(seq))?;
    let (before, after) = payload.split_at(place);
    hasher.update(before);
    hasher.update(zero_fill(before.len()));
    hasher.update(after);
    Some(hasher.finish())
}

/// The zero bytes version 2 hashes after a payload's first `len` bytes.
pub fn zero_fill(len: usize) -> &'static [u8] {
    const ZEROS: [u8; 64] = [0; 64];
    &ZEROS[..len.next_multiple_of(ZEROS.len()) - len]
}

/// The bytes [`append_suffix`] writes: `seq` as a postcard varint, then the hash as a byte string.
fn place_bytes(seq: u64) -> usize {
    let bits = 64 - seq.leading_zeros() as usize;
    bits.div_ceil(7).max(1) + 1 + HASH_BYTES
}

/// The source written into a value by [`encode_prefix`].
pub fn source_in_prefix(value: &[u8]) -> Result<String, DecodeError> {
    let payload = value.get(HEADER_BYTES..).ok_or(DecodeError::Empty)?;
    let ((_, _, source, _), _): ((BodyV1<'_>, Text<'_>, String, Micros), _) =
        postcard::take_from_bytes(payload).map_err(undecodable)?;
    Ok(source)
}

/// Writes the header into a value made by [`encode_prefix`] and completed with [`encode_suffix`].
pub fn seal(mut value: Vec<u8>, hash: &[u8; HASH_BYTES]) -> Vec<u8> {
    value[0] = FORMAT_VERSION;
    value[1..HEADER_BYTES].copy_from_slice(hash);
    value
}

/// Appends the rest of a payload to a value made by [`encode_prefix`].
pub fn append_suffix(value: &mut Vec<u8>, seq: u64, prev_hash: &[u8; HASH_BYTES]) {
    // `seq` then `prev_hash` as `hex_hash` writes it for postcard: a byte string, its length first.
    let suffix = (seq, serde_bytes_ref(prev_hash));
    postcard::to_io(&suffix, value).expect("encoding to memory cannot fail");
}

/// A stored text: borrowed from the core body when encoding (no copies on the import's hot path),
/// owned when decoded.
pub type Text<'a> = Cow<'a, str>;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BodyV1<'a> {
    Bond {
        bond_code: Text<'a>,
        bond_name: Text<'a>,
        issue_date: Day,
        value_date: Day,
        term_years: u32,
        #[serde(with = "rust_decimal::serde::str")]
        coupon_rate: Decimal,
        frequency: Word<Frequency>,
        amortization: Vec<(u32, String)>,
        project_code: Text<'a>,
        project_name: Text<'a>,
        amount: Fen,
    },
    Contract {
        contract_no: Text<'a>,
        title: Text<'a>,
        sign_date: Day,
        category: Word<Category>,
        method: Word<Method>,
        fund: Word<Fund>,
        project_code: Option<Text<'a>>,
        supplier_name: Text<'a>,
        uscc: Option<Text<'a>>,
        size: Word<SupplierSize>,
        special: Option<Word<Special>>,
        share_amount: Fen,
        industry: Option<Word<Industry>>,
        people: Option<u64>,
        revenue: Option<Text<'a>>,
        assets: Option<Text<'a>>,
    },
    Amendment {
        contract_no: Text<'a>,
        date: Day,
        supplier_name: Text<'a>,
        delta: Fen,
        reason: Text<'a>,
    },
    Receipt {
        voucher_no: Text<'a>,
        date: Day,
        fund: Word<Fund>,
        function_code: Text<'a>,
        function_name: Option<Text<'a>>,
        amount: Fen,
        bond_code: Option<Text<'a>>,
        project_code: Option<Text<'a>>,
        memo: Text<'a>,
    },
    Payment {
        voucher_no: Text<'a>,
        date: Day,
        fund: Word<Fund>,
        function_code: Text<'a>,
        function_name: Option<Text<'a>>,
        expense_type: Word<ExpenseType>,
        amount: Fen,
        project_code: Option<Text<'a>>,
        contract_no: Option<Text<'a>>,
        bond_code: Option<Text<'a>>,
        purpose: Word<Purpose>,
        payee: Text<'a>,
        memo: Text<'a>,
    },
    Opening {
        year: i32,
        fund: Word<Fund>,
        function_code: Text<'a>,
        function_name: Option<Text<'a>>,
        amount: Fen,
    },
    Catalog {
        code: Text<'a>,
        name: Text<'a>,
    },
    Reversal {
        voucher_no: Text<'a>,
        date: Day,
        reason: Text<'a>,
    },
    Close {
        through: Day,
    },
    /// Added with ledger format 4, after every older variant, so that their encodings stay as
    /// they were (postcard numbers variants by position).
    Unit {
        number: u32,
        full_name: Text<'a>,
        short_name: Text<'a>,
        origin: Option<OriginV1<'a>>,
    },
    /// An opening balance given with the reason it differs from the carried one; one without a
    /// reason stays `Opening`, so that its stored bytes (and hash) are as before.
    OpeningAdjusted {
        year: i32,
        fund: Word<Fund>,
        function_code: Text<'a>,
        function_name: Option<Text<'a>>,
        amount: Fen,
        adjust_reason: Word<AdjustReason>,
    },
    /// An amendment that corrects the part's size or special status, or changes a part once
    /// corrected (with the part as it was then); a plain one stays `Amendment`, its bytes as before.
    AmendmentCorrected {
        contract_no: Text<'a>,
        date: Day,
        supplier_name: Text<'a>,
        delta: Fen,
        reason: Text<'a>,
        /// The corrected size, if the correction gives one.
        size: Option<Word<SupplierSize>>,
        /// The corrected special status, if given; `clear_special`: the correction removes it.
        special: Option<Word<Special>>,
        clear_special: bool,
        before: Option<PartStateV1>,
    },
    /// A user given a role or disabled (ledger format 5); no password or token hash is ever here.
    User {
        number: u32,
        name: Text<'a>,
        role: Word<Role>,
        active: bool,
    },
    /// A contract part with any of the clauses of issue 17 (ledger format 6); one without them
    /// stays `Contract`, its bytes as before.
    ContractClauses {
        contract_no: Text<'a>,
        title: Text<'a>,
        sign_date: Day,
        category: Word<Category>,
        method: Word<Method>,
        fund: Word<Fund>,
        project_code: Option<Text<'a>>,
        supplier_name: Text<'a>,
        uscc: Option<Text<'a>>,
        size: Word<SupplierSize>,
        special: Option<Word<Special>>,
        share_amount: Fen,
        industry: Option<Word<Industry>>,
        people: Option<u64>,
        revenue: Option<Text<'a>>,
        assets: Option<Text<'a>>,
        payment_terms_days: Option<u32>,
        late_interest_daily_pct: Option<Text<'a>>,
        budget: Option<Fen>,
        reserved: Option<Fen>,
        reserved_small_micro: Option<Fen>,
        notice_date: Option<Day>,
    },
    /// A payment with an economic classification code (ledger format 6); one without stays
    /// `Payment`, its bytes as before.
    PaymentCoded {
        voucher_no: Text<'a>,
        date: Day,
        fund: Word<Fund>,
        function_code: Text<'a>,
        function_name: Option<Text<'a>>,
        expense_type: Word<ExpenseType>,
        amount: Fen,
        project_code: Option<Text<'a>>,
        contract_no: Option<Text<'a>>,
        bond_code: Option<Text<'a>>,
        purpose: Word<Purpose>,
        payee: Text<'a>,
        memo: Text<'a>,
        econ_code: Text<'a>,
    },
    /// An acceptance (验收) or delivery (交付) of a supplier's part (ledger format 6).
    Acceptance {
        contract_no: Text<'a>,
        supplier_name: Text<'a>,
        date: Day,
        basis: Word<Basis>,
        amount: Fen,
        memo: Text<'a>,
    },
    /// `taizhang settings` (ledger format 7).
    Setting {
        number: u32,
        require_approval: bool,
    },
    /// A checker's decision on a pending batch (ledger format 7).
    Review {
        batch: u64,
        maker: Text<'a>,
        approved: bool,
        reason: Text<'a>,
        entries: u64,
        files: Vec<Text<'a>>,
    },
    /// A document attached to an entry (ledger format 7); its bytes are in the `attachments` table
    /// under `hash`.
    Attachment {
        target: u64,
        name: Text<'a>,
        size: u64,
        hash: Text<'a>,
    },
}

/// The chained part of a ledger's header, carried by its first unit entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OriginV1<'a> {
    pub hash: Text<'a>,
    pub created_at: Text<'a>,
}

/// A supplier part's class and amount at a moment ([`core::PartState`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartStateV1 {
    pub size: Word<SupplierSize>,
    pub special: Option<Word<Special>>,
    pub amount: Fen,
}

impl From<&core::PartState> for PartStateV1 {
    fn from(s: &core::PartState) -> PartStateV1 {
        PartStateV1 {
            size: Word(s.size),
            special: s.special.map(Word),
            amount: Fen(s.amount.fen()),
        }
    }
}

impl From<&PartStateV1> for core::PartState {
    fn from(s: &PartStateV1) -> core::PartState {
        core::PartState {
            size: s.size.0,
            special: s.special.map(|w| w.0),
            amount: core::Amount::from_fen(s.amount.0),
        }
    }
}

mod hex_hash {
    use super::HASH_BYTES;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(hash: &[u8; HASH_BYTES], s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            s.serialize_str(&crate::hash::hex(hash))
        } else {
            s.serialize_bytes(hash)
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<[u8; HASH_BYTES], D::Error> {
        let bytes: Vec<u8> = if d.is_human_readable() {
            crate::hash::unhex(&String::deserialize(d)?)
                .ok_or_else(|| serde::de::Error::custom("bad hex hash"))?
        } else {
            serde_bytes_vec(d)?
        };
        bytes
            .try_into()
            .map_err(|_| serde::de::Error::custom("hash must be 32 bytes"))
    }

    fn serde_bytes_vec<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = Vec<u8>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("bytes")
            }
            fn visit_bytes<E>(self, v: &[u8]) -> Result<Vec<u8>, E> {
                Ok(v.to_vec())
            }
        }
        d.deserialize_bytes(Visit)
    }
}

/// A stored record that does not decode or convert: the file is damaged or from a newer program.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    #[error("记录为空")]
    Empty,
    #[error("记录格式版本 {0} 比本程序新（本程序支持至 {FORMAT_VERSION}），请升级 taizhang")]
    NewerVersion(u8),
    #[error("记录已损坏：{0}")]
    Corrupt(String),
    /// The bytes are not a record this program wrote: [`postcard_words`] says what broke.
    #[error("记录无法解码（{0}）")]
    Undecodable(&'static str),
}

/// A postcard error in words. postcard's own text is English ("Hit the end of buffer…"); a record
/// that does not decode means a damaged file, and the accountant is told that in hers.
fn undecodable(e: postcard::Error) -> DecodeError {
    DecodeError::Undecodable(postcard_words(&e))
}

fn postcard_words(e: &postcard::Error) -> &'static str {
    use postcard::Error as P;
    match e {
        P::DeserializeUnexpectedEnd => "记录比应有的短",
        P::DeserializeBadVarint => "一个整数的编码损坏",
        P::DeserializeBadBool => "一个是否字段的取值损坏",
        P::DeserializeBadChar => "一个字符的编码损坏",
        P::DeserializeBadUtf8 => "一段文字不是合法的 UTF-8",
        P::DeserializeBadOption => "一个可选字段的标记损坏",
        P::DeserializeBadEnum => "记录种类或代码的编号损坏",
        P::SerdeDeCustom => "一个字段的取值无效",
        _ => "编码损坏",
    }
}

/// Splits a stored value into version, hash and payload.
pub fn split(value: &[u8]) -> Result<(u8, [u8; HASH_BYTES], &[u8]), DecodeError> {
    let (&version, rest) = value.split_first().ok_or(DecodeError::Empty)?;
    if version > FORMAT_VERSION {
        return Err(DecodeError::NewerVersion(version));
    }
    if version == 0 || rest.len() < HASH_BYTES {
        return Err(DecodeError::Corrupt("长度不足".into()));
    }
    let (hash, payload) = rest.split_at(HASH_BYTES);
    Ok((
        version,
        hash.try_into().expect("split at HASH_BYTES"),
        payload,
    ))
}

pub fn decode_payload(payload: &[u8]) -> Result<EntryV1, DecodeError> {
    postcard::from_bytes(payload).map_err(undecodable)
}

/// Serializes a hash as a byte string, as `hex_hash` does for postcard.
fn serde_bytes_ref(hash: &[u8; HASH_BYTES]) -> impl Serialize + '_ {
    struct Bytes<'a>(&'a [u8; HASH_BYTES]);
    impl Serialize for Bytes<'_> {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            s.serialize_bytes(self.0)
        }
    }
    Bytes(hash)
}

/// A record's usual size: one allocation, not a dozen regrowths.
const PAYLOAD_BYTES_TYPICAL: usize = 256;

pub fn encode_payload(entry: &EntryV1) -> Vec<u8> {
    postcard::to_extend(entry, Vec::with_capacity(PAYLOAD_BYTES_TYPICAL))
        .expect("encoding to memory cannot fail")
}

pub fn join(version: u8, hash: &[u8; HASH_BYTES], payload: &[u8]) -> Vec<u8> {
    let mut value = Vec::with_capacity(1 + HASH_BYTES + payload.len());
    value.push(version);
    value.extend_from_slice(hash);
    value.extend_from_slice(payload);
    value
}

fn opt_str(value: &Option<String>) -> Option<Text<'_>> {
    value.as_deref().map(Cow::Borrowed)
}

fn owned(value: &Option<Text<'_>>) -> Option<String> {
    value.as_deref().map(str::to_string)
}

/// The correction an `AmendmentCorrected` record stores: none when it gives neither a size nor a
/// special status (an amendment of a part corrected before).
fn stored_correction(
    size: Option<Word<SupplierSize>>,
    special: Option<Word<Special>>,
    clear_special: bool,
) -> Result<Option<core::ClassCorrection>, DecodeError> {
    let special = match (special, clear_special) {
        (Some(_), true) => {
            return Err(DecodeError::Corrupt(
                "补充协议既更正为特殊主体又取消特殊主体".into(),
            ))
        }
        (Some(word), false) => Some(Some(word.0)),
        (None, true) => Some(None),
        (None, false) => None,
    };
    let size = size.map(|w| w.0);
    Ok((size.is_some() || special.is_some()).then_some(core::ClassCorrection { size, special }))
}

fn dec_str(value: Option<Decimal>) -> Option<Text<'static>> {
    value.map(|d| Cow::Owned(d.to_string()))
}

impl<'a> From<&'a core::Body> for BodyV1<'a> {
    fn from(body: &'a core::Body) -> BodyV1<'a> {
        use core::Body;
        match body {
            Body::Bond(b) => BodyV1::Bond {
                bond_code: Cow::Borrowed(&b.terms.code),
                bond_name: Cow::Borrowed(&b.terms.name),
                issue_date: Day(b.terms.issue_date),
                value_date: Day(b.terms.value_date),
                term_years: b.terms.term_years,
                coupon_rate: b.terms.coupon_rate,
                frequency: Word(b.terms.frequency),
                amortization: b
                    .terms
                    .amortization
                    .iter()
                    .map(|r| (r.year, r.percent.to_string()))
                    .collect(),
                project_code: Cow::Borrowed(&b.project_code),
                project_name: Cow::Borrowed(&b.project_name),
                amount: Fen(b.amount.fen()),
            },
            Body::Contract(c) if c.terms.clauses.is_empty() => {
                let declaration = c.part.declaration.as_ref();
                BodyV1::Contract {
                    contract_no: Cow::Borrowed(&c.terms.no),
                    title: Cow::Borrowed(&c.terms.title),
                    sign_date: Day(c.terms.sign_date),
                    category: Word(c.terms.category),
                    method: Word(c.terms.method),
                    fund: Word(c.terms.fund),
                    project_code: opt_str(&c.terms.project_code),
                    supplier_name: Cow::Borrowed(&c.part.name),
                    uscc: c.part.uscc.as_ref().map(|u| Cow::Borrowed(u.as_str())),
                    size: Word(c.part.size),
                    special: c.part.special.map(Word),
                    share_amount: Fen(c.part.amount.fen()),
                    industry: declaration.map(|d| Word(d.industry)),
                    people: declaration.and_then(|d| d.figures.people),
                    revenue: dec_str(declaration.and_then(|d| d.figures.revenue)),
                    assets: dec_str(declaration.and_then(|d| d.figures.assets)),
                }
            }
            Body::Contract(c) => {
                let declaration = c.part.declaration.as_ref();
                let clauses = &c.terms.clauses;
                let fen = |a: Option<core::Amount>| a.map(|a| Fen(a.fen()));
                BodyV1::ContractClauses {
                    contract_no: Cow::Borrowed(&c.terms.no),
                    title: Cow::Borrowed(&c.terms.title),
                    sign_date: Day(c.terms.sign_date),
                    category: Word(c.terms.category),
                    method: Word(c.terms.method),
                    fund: Word(c.terms.fund),
                    project_code: opt_str(&c.terms.project_code),
                    supplier_name: Cow::Borrowed(&c.part.name),
                    uscc: c.part.uscc.as_ref().map(|u| Cow::Borrowed(u.as_str())),
                    size: Word(c.part.size),
                    special: c.part.special.map(Word),
                    share_amount: Fen(c.part.amount.fen()),
                    industry: declaration.map(|d| Word(d.industry)),
                    people: declaration.and_then(|d| d.figures.people),
                    revenue: dec_str(declaration.and_then(|d| d.figures.revenue)),
                    assets: dec_str(declaration.and_then(|d| d.figures.assets)),
                    payment_terms_days: clauses.payment_terms_days,
                    late_interest_daily_pct: dec_str(clauses.late_interest_daily_pct),
                    budget: fen(clauses.budget),
                    reserved: fen(clauses.reserved),
                    reserved_small_micro: fen(clauses.reserved_small_micro),
                    notice_date: clauses.notice_date.map(Day),
                }
            }
            Body::Amendment(a) if a.correction.is_none() && a.before.is_none() => {
                BodyV1::Amendment {
                    contract_no: Cow::Borrowed(&a.contract_no),
                    date: Day(a.date),
                    supplier_name: Cow::Borrowed(&a.supplier_name),
                    delta: Fen(a.delta.fen()),
                    reason: Cow::Borrowed(&a.reason),
                }
            }
            Body::Amendment(a) => {
                let correction = a.correction.unwrap_or(core::ClassCorrection {
                    size: None,
                    special: None,
                });
                BodyV1::AmendmentCorrected {
                    contract_no: Cow::Borrowed(&a.contract_no),
                    date: Day(a.date),
                    supplier_name: Cow::Borrowed(&a.supplier_name),
                    delta: Fen(a.delta.fen()),
                    reason: Cow::Borrowed(&a.reason),
                    size: correction.size.map(Word),
                    special: correction.special.flatten().map(Word),
                    clear_special: correction.special == Some(None),
                    before: a.before.as_ref().map(PartStateV1::from),
                }
            }
            Body::Receipt(r) => BodyV1::Receipt {
                voucher_no: Cow::Borrowed(&r.voucher_no),
                date: Day(r.date),
                fund: Word(r.fund),
                function_code: Cow::Borrowed(r.code.as_str()),
                function_name: opt_str(&r.code_name),
                amount: Fen(r.amount.fen()),
                bond_code: opt_str(&r.bond_code),
                project_code: opt_str(&r.project_code),
                memo: Cow::Borrowed(&r.memo),
            },
            Body::Payment(p) if p.econ_code.is_some() => BodyV1::PaymentCoded {
                voucher_no: Cow::Borrowed(&p.voucher_no),
                date: Day(p.date),
                fund: Word(p.fund),
                function_code: Cow::Borrowed(p.code.as_str()),
                function_name: opt_str(&p.code_name),
                expense_type: Word(p.expense_type),
                amount: Fen(p.amount.fen()),
                project_code: opt_str(&p.project_code),
                contract_no: opt_str(&p.contract_no),
                bond_code: opt_str(&p.bond_code),
                purpose: Word(p.purpose),
                payee: Cow::Borrowed(&p.payee),
                memo: Cow::Borrowed(&p.memo),
                econ_code: Cow::Borrowed(p.econ_code.as_ref().map_or("", |c| c.as_str())),
            },
            Body::Payment(p) => BodyV1::Payment {
                voucher_no: Cow::Borrowed(&p.voucher_no),
                date: Day(p.date),
                fund: Word(p.fund),
                function_code: Cow::Borrowed(p.code.as_str()),
                function_name: opt_str(&p.code_name),
                expense_type: Word(p.expense_type),
                amount: Fen(p.amount.fen()),
                project_code: opt_str(&p.project_code),
                contract_no: opt_str(&p.contract_no),
                bond_code: opt_str(&p.bond_code),
                purpose: Word(p.purpose),
                payee: Cow::Borrowed(&p.payee),
                memo: Cow::Borrowed(&p.memo),
            },
            Body::Opening(o) => match o.adjust_reason {
                None => BodyV1::Opening {
                    year: o.year,
                    fund: Word(o.fund),
                    function_code: Cow::Borrowed(o.code.as_str()),
                    function_name: opt_str(&o.code_name),
                    amount: Fen(o.amount.fen()),
                },
                Some(reason) => BodyV1::OpeningAdjusted {
                    year: o.year,
                    fund: Word(o.fund),
                    function_code: Cow::Borrowed(o.code.as_str()),
                    function_name: opt_str(&o.code_name),
                    amount: Fen(o.amount.fen()),
                    adjust_reason: Word(reason),
                },
            },
            Body::Catalog(c) => BodyV1::Catalog {
                code: Cow::Borrowed(c.code.as_str()),
                name: Cow::Borrowed(&c.name),
            },
            Body::Reversal(r) => BodyV1::Reversal {
                voucher_no: Cow::Borrowed(&r.voucher_no),
                date: Day(r.date),
                reason: Cow::Borrowed(&r.reason),
            },
            Body::Close(c) => BodyV1::Close {
                through: Day(c.through),
            },
            Body::Acceptance(a) => BodyV1::Acceptance {
                contract_no: Cow::Borrowed(&a.contract_no),
                supplier_name: Cow::Borrowed(&a.supplier_name),
                date: Day(a.date),
                basis: Word(a.basis),
                amount: Fen(a.amount.fen()),
                memo: Cow::Borrowed(&a.memo),
            },
            Body::User(u) => BodyV1::User {
                number: u.number,
                name: Cow::Borrowed(&u.name),
                role: Word(u.role),
                active: u.active,
            },
            Body::Setting(c) => BodyV1::Setting {
                number: c.number,
                require_approval: c.require_approval,
            },
            Body::Review(r) => BodyV1::Review {
                batch: r.batch,
                maker: Cow::Borrowed(&r.maker),
                approved: r.approved,
                reason: Cow::Borrowed(&r.reason),
                entries: r.entries,
                files: r.files.iter().map(|f| Cow::Borrowed(f.as_str())).collect(),
            },
            Body::Attachment(a) => BodyV1::Attachment {
                target: a.target,
                name: Cow::Borrowed(&a.name),
                size: a.size,
                hash: Cow::Borrowed(&a.hash),
            },
            Body::Unit(u) => BodyV1::Unit {
                number: u.number,
                full_name: Cow::Borrowed(&u.full),
                short_name: Cow::Borrowed(&u.short),
                origin: u.origin.as_ref().map(|o| OriginV1 {
                    hash: Cow::Borrowed(&o.hash),
                    created_at: Cow::Borrowed(&o.created_at),
                }),
            },
        }
    }
}

fn corrupt(e: String) -> DecodeError {
    DecodeError::Corrupt(e)
}

fn decimal(text: &str) -> Result<Decimal, DecodeError> {
    text.parse().map_err(|_| corrupt(format!("“{text}”不是数")))
}

fn opt_decimal(text: &Option<Text<'_>>) -> Result<Option<Decimal>, DecodeError> {
    text.as_deref().map(decimal).transpose()
}

impl TryFrom<&BodyV1<'_>> for core::Body {
    type Error = DecodeError;

    fn try_from(body: &BodyV1<'_>) -> Result<core::Body, DecodeError> {
        use core::*;
        let amount = |f: &Fen| Amount::from_fen(f.0);
        Ok(match body {
            BodyV1::Bond {
                bond_code,
                bond_name,
                issue_date,
                value_date,
                term_years,
                coupon_rate,
                frequency,
                amortization,
                project_code,
                project_name,
                amount: a,
            } => Body::Bond(BondAllocation {
                terms: BondTerms {
                    code: bond_code.to_string(),
                    name: bond_name.to_string(),
                    issue_date: issue_date.0,
                    value_date: value_date.0,
                    term_years: *term_years,
                    coupon_rate: *coupon_rate,
                    frequency: frequency.0,
                    amortization: amortization
                        .iter()
                        .map(|(year, pct)| {
                            Ok(Repayment {
                                year: *year,
                                percent: decimal(pct)?,
                            })
                        })
                        .collect::<Result<_, DecodeError>>()?,
                },
                project_code: project_code.to_string(),
                project_name: project_name.to_string(),
                amount: amount(a),
            }),
            BodyV1::Contract {
                contract_no,
                title,
                sign_date,
                category,
                method,
                fund,
                project_code,
                supplier_name,
                uscc,
                size,
                special,
                share_amount,
                industry,
                people,
                revenue,
                assets,
            } => {
                let declaration = match industry {
                    Some(industry) => Some(Declaration {
                        industry: industry.0,
                        figures: Figures {
                            people: *people,
                            revenue: opt_decimal(revenue)?,
                            assets: opt_decimal(assets)?,
                        },
                    }),
                    None => None,
                };
                Body::Contract(ContractPart {
                    terms: ContractTerms {
                        no: contract_no.to_string(),
                        title: title.to_string(),
                        sign_date: sign_date.0,
                        category: category.0,
                        method: method.0,
                        fund: fund.0,
                        project_code: owned(project_code),
                        clauses: Clauses::default(),
                    },
                    part: SupplierPart {
                        name: supplier_name.to_string(),
                        uscc: uscc
                            .as_deref()
                            .map(Uscc::parse)
                            .transpose()
                            .map_err(corrupt)?,
                        size: size.0,
                        special: special.map(|w| w.0),
                        amount: amount(share_amount),
                        declaration,
                    },
                })
            }
            BodyV1::Amendment {
                contract_no,
                date,
                supplier_name,
                delta,
                reason,
            } => Body::Amendment(Amendment {
                contract_no: contract_no.to_string(),
                date: date.0,
                supplier_name: supplier_name.to_string(),
                delta: amount(delta),
                reason: reason.to_string(),
                correction: None,
                before: None,
            }),
            BodyV1::AmendmentCorrected {
                contract_no,
                date,
                supplier_name,
                delta,
                reason,
                size,
                special,
                clear_special,
                before,
            } => Body::Amendment(Amendment {
                contract_no: contract_no.to_string(),
                date: date.0,
                supplier_name: supplier_name.to_string(),
                delta: amount(delta),
                reason: reason.to_string(),
                correction: stored_correction(*size, *special, *clear_special)?,
                before: before.as_ref().map(core::PartState::from),
            }),
            BodyV1::Receipt {
                voucher_no,
                date,
                fund,
                function_code,
                function_name,
                amount: a,
                bond_code,
                project_code,
                memo,
            } => Body::Receipt(Receipt {
                voucher_no: voucher_no.to_string(),
                date: date.0,
                fund: fund.0,
                code: FunctionCode::parse(function_code).map_err(corrupt)?,
                code_name: owned(function_name),
                amount: amount(a),
                bond_code: owned(bond_code),
                project_code: owned(project_code),
                memo: memo.to_string(),
            }),
            BodyV1::Payment {
                voucher_no,
                date,
                fund,
                function_code,
                function_name,
                expense_type,
                amount: a,
                project_code,
                contract_no,
                bond_code,
                purpose,
                payee,
                memo,
            } => Body::Payment(Payment {
                voucher_no: voucher_no.to_string(),
                date: date.0,
                fund: fund.0,
                code: FunctionCode::parse(function_code).map_err(corrupt)?,
                code_name: owned(function_name),
                expense_type: expense_type.0,
                amount: amount(a),
                project_code: owned(project_code),
                contract_no: owned(contract_no),
                bond_code: owned(bond_code),
                purpose: purpose.0,
                payee: payee.to_string(),
                memo: memo.to_string(),
                econ_code: None,
            }),
            BodyV1::Opening {
                year,
                fund,
                function_code,
                function_name,
                amount: a,
            } => Body::Opening(Opening {
                year: *year,
                fund: fund.0,
                code: FunctionCode::parse(function_code).map_err(corrupt)?,
                code_name: owned(function_name),
                amount: amount(a),
                adjust_reason: None,
            }),
            BodyV1::OpeningAdjusted {
                year,
                fund,
                function_code,
                function_name,
                amount: a,
                adjust_reason,
            } => Body::Opening(Opening {
                year: *year,
                fund: fund.0,
                code: FunctionCode::parse(function_code).map_err(corrupt)?,
                code_name: owned(function_name),
                amount: amount(a),
                adjust_reason: Some(adjust_reason.0),
            }),
            BodyV1::Catalog { code, name } => Body::Catalog(CatalogName {
                code: ClassCode::parse(code).map_err(corrupt)?,
                name: name.to_string(),
            }),
            BodyV1::Reversal {
                voucher_no,
                date,
                reason,
            } => Body::Reversal(Reversal {
                voucher_no: voucher_no.to_string(),
                date: date.0,
                reason: reason.to_string(),
            }),
            BodyV1::Close { through } => Body::Close(PeriodClose { through: through.0 }),
            BodyV1::ContractClauses { .. } => contract_with_clauses(body)?,
            BodyV1::PaymentCoded {
                voucher_no,
                date,
                fund,
                function_code,
                function_name,
                expense_type,
                amount: a,
                project_code,
                contract_no,
                bond_code,
                purpose,
                payee,
                memo,
                econ_code,
            } => Body::Payment(Payment {
                voucher_no: voucher_no.to_string(),
                date: date.0,
                fund: fund.0,
                code: FunctionCode::parse(function_code).map_err(corrupt)?,
                code_name: owned(function_name),
                expense_type: expense_type.0,
                amount: amount(a),
                project_code: owned(project_code),
                contract_no: owned(contract_no),
                bond_code: owned(bond_code),
                purpose: purpose.0,
                payee: payee.to_string(),
                memo: memo.to_string(),
                econ_code: Some(EconCode::parse(econ_code).map_err(corrupt)?),
            }),
            BodyV1::Acceptance {
                contract_no,
                supplier_name,
                date,
                basis,
                amount: a,
                memo,
            } => Body::Acceptance(Acceptance {
                contract_no: contract_no.to_string(),
                supplier_name: supplier_name.to_string(),
                date: date.0,
                basis: basis.0,
                amount: amount(a),
                memo: memo.to_string(),
            }),
            BodyV1::User {
                number,
                name,
                role,
                active,
            } => Body::User(UserChange {
                number: *number,
                name: name.to_string(),
                role: role.0,
                active: *active,
            }),
            BodyV1::Setting {
                number,
                require_approval,
            } => Body::Setting(SettingChange {
                number: *number,
                require_approval: *require_approval,
            }),
            BodyV1::Review {
                batch,
                maker,
                approved,
                reason,
                entries,
                files,
            } => Body::Review(Review {
                batch: *batch,
                maker: maker.to_string(),
                approved: *approved,
                reason: reason.to_string(),
                entries: *entries,
                files: files.iter().map(|f| f.to_string()).collect(),
            }),
            BodyV1::Attachment {
                target,
                name,
                size,
                hash,
            } => Body::Attachment(AttachmentNote {
                target: *target,
                name: name.to_string(),
                size: *size,
                hash: hash.to_string(),
            }),
            BodyV1::Unit {
                number,
                full_name,
                short_name,
                origin,
            } => Body::Unit(UnitNaming {
                number: *number,
                full: full_name.to_string(),
                short: short_name.to_string(),
                origin: origin.as_ref().map(|o| LedgerOrigin {
                    hash: o.hash.to_string(),
                    created_at: o.created_at.to_string(),
                }),
            }),
        })
    }
}

/// A `ContractClauses` record as a contract part: the plain fields as `Contract` reads them, then
/// the clauses.
fn contract_with_clauses(body: &BodyV1<'_>) -> Result<core::Body, DecodeError> {
    let BodyV1::ContractClauses {
        contract_no,
        title,
        sign_date,
        category,
        method,
        fund,
        project_code,
        supplier_name,
        uscc,
        size,
        special,
        share_amount,
        industry,
        people,
        revenue,
        assets,
        payment_terms_days,
        late_interest_daily_pct,
        budget,
        reserved,
        reserved_small_micro,
        notice_date,
    } = body
    else {
        return Err(corrupt("不是带条款的合同记录".into()));
    };
    let plain = BodyV1::Contract {
        contract_no: Cow::Borrowed(contract_no),
        title: Cow::Borrowed(title),
        sign_date: *sign_date,
        category: *category,
        method: *method,
        fund: *fund,
        project_code: project_code.as_deref().map(Cow::Borrowed),
        supplier_name: Cow::Borrowed(supplier_name),
        uscc: uscc.as_deref().map(Cow::Borrowed),
        size: *size,
        special: *special,
        share_amount: *share_amount,
        industry: *industry,
        people: *people,
        revenue: revenue.as_deref().map(Cow::Borrowed),
        assets: assets.as_deref().map(Cow::Borrowed),
    };
    let mut decoded = core::Body::try_from(&plain)?;
    if let core::Body::Contract(c) = &mut decoded {
        let amount = |f: &Option<Fen>| f.map(|f| core::Amount::from_fen(f.0));
        c.terms.clauses = core::Clauses {
            payment_terms_days: *payment_terms_days,
            late_interest_daily_pct: opt_decimal(late_interest_daily_pct)?,
            budget: amount(budget),
            reserved: amount(reserved),
            reserved_small_micro: amount(reserved_small_micro),
            notice_date: notice_date.map(|d| d.0),
        };
    }
    Ok(decoded)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> EntryV1 {
        EntryV1 {
            seq: 7,
            recorded_at: Micros(1_795_000_000_000_000),
            operator: "会计".into(),
            source: "payments.csv:3".into(),
            prev_hash: [9; HASH_BYTES],
            body: BodyV1::Opening {
                year: 2022,
                fund: Word(Fund::GovFund),
                function_code: "2290402".into(),
                function_name: None,
                amount: Fen(123456789),
            },
        }
    }

    #[test]
    fn amounts_round_trip_exactly_through_postcard_and_json() {
        let entry = sample();
        assert_eq!(decode_payload(&encode_payload(&entry)).unwrap(), entry);
        let json = serde_json::to_string(&entry).unwrap();
        assert!(json.contains("\"amount\":\"1234567.89\""), "{json}");
        assert_eq!(serde_json::from_str::<EntryV1>(&json).unwrap(), entry);
    }

    #[test]
    fn prefix_and_suffix_make_the_payload() {
        let entry = sample();
        let mut value = encode_prefix(
            &entry.body,
            &entry.operator,
            &entry.source,
            entry.recorded_at,
        );
        append_suffix(&mut value, entry.seq, &entry.prev_hash);
        let payload = encode_payload(&entry);
        assert_eq!(&value[HEADER_BYTES..], payload.as_slice());
        let sealed = seal(value, &[7; HASH_BYTES]);
        assert_eq!(sealed, join(FORMAT_VERSION, &[7; HASH_BYTES], &payload));
    }

    #[test]
    fn version_2_hashes_zeros_before_the_place_in_the_chain() {
        let mut entry = sample();
        for seq in [1, 127, 128, 16_383, 16_384, u64::MAX] {
            entry.seq = seq;
            let payload = encode_payload(&entry);
            let mut suffix = Vec::new();
            append_suffix(&mut suffix, seq, &entry.prev_hash);
            assert_eq!(place_bytes(seq), suffix.len(), "seq {seq}");
            let before = &payload[..payload.len() - suffix.len()];
            let mut filled = before.to_vec();
            filled.resize(before.len().next_multiple_of(64), 0);
            filled.extend_from_slice(&suffix);
            let hash = payload_hash(HashAlgo::Sm3, 2, &payload, seq);
            assert_eq!(hash, Some(HashAlgo::Sm3.digest(&filled)));
            assert_eq!(
                payload_hash(HashAlgo::Sm3, 1, &payload, seq),
                Some(HashAlgo::Sm3.digest(&payload))
            );
        }
        assert_eq!(payload_hash(HashAlgo::Sha256, 2, &[0; 10], 1), None);
    }

    #[test]
    fn an_opening_without_a_reason_keeps_its_old_bytes_and_one_with_a_reason_round_trips() {
        let opening = |adjust_reason| {
            core::Body::Opening(core::Opening {
                year: 2023,
                fund: Fund::GovFund,
                code: core::FunctionCode::parse("2290402").unwrap(),
                code_name: None,
                amount: core::Amount::from_fen(5),
                adjust_reason,
            })
        };
        let plain = opening(None);
        assert!(matches!(BodyV1::from(&plain), BodyV1::Opening { .. }));
        let adjusted = opening(Some(AdjustReason::Remit));
        let stored = BodyV1::from(&adjusted);
        assert!(matches!(stored, BodyV1::OpeningAdjusted { .. }));
        let mut value = encode_prefix(&stored, "会计", "年初.csv:2", Micros(0));
        append_suffix(&mut value, 7, &[9; HASH_BYTES]);
        let decoded = decode_payload(&value[HEADER_BYTES..]).unwrap();
        assert_eq!(core::Body::try_from(&decoded.body).unwrap(), adjusted);
        let json = serde_json::to_string(&decoded).unwrap();
        assert!(json.contains("\"adjust_reason\":\"remit\""), "{json}");
    }

    /// Issue 17's fields take new variants; an entry without them keeps its old variant and bytes.
    #[test]
    fn contracts_and_payments_take_new_variants_only_with_new_fields() {
        let date = |d| NaiveDate::from_ymd_opt(2025, 6, d).unwrap();
        let mut part = core::ContractPart {
            terms: core::ContractTerms {
                no: "T".into(),
                title: "合同".into(),
                sign_date: date(2),
                category: Category::Goods,
                method: Method::Inquiry,
                fund: Fund::General,
                project_code: None,
                clauses: core::Clauses::default(),
            },
            part: core::SupplierPart {
                name: "甲".into(),
                uscc: None,
                size: SupplierSize::Small,
                special: None,
                amount: core::Amount::from_fen(100),
                declaration: None,
            },
        };
        let plain = core::Body::Contract(part.clone());
        assert!(matches!(BodyV1::from(&plain), BodyV1::Contract { .. }));
        part.terms.clauses = core::Clauses {
            payment_terms_days: Some(45),
            late_interest_daily_pct: Some(Decimal::new(3, 2)),
            budget: Some(core::Amount::from_fen(500)),
            reserved: Some(core::Amount::from_fen(200)),
            reserved_small_micro: Some(core::Amount::from_fen(120)),
            notice_date: Some(date(4)),
        };
        let acceptance = core::Body::Acceptance(core::Acceptance {
            contract_no: "T".into(),
            supplier_name: "甲".into(),
            date: date(9),
            basis: Basis::Delivery,
            amount: core::Amount::from_fen(100),
            memo: String::new(),
        });
        for body in [plain, core::Body::Contract(part), acceptance] {
            let stored = BodyV1::from(&body);
            let bytes = postcard::to_allocvec(&stored).unwrap();
            let decoded: BodyV1 = postcard::from_bytes(&bytes).unwrap();
            assert_eq!(core::Body::try_from(&decoded).unwrap(), body);
        }
    }

    #[test]
    fn newer_versions_are_refused_and_damage_is_reported() {
        assert!(matches!(
            split(&[FORMAT_VERSION + 1; 40]),
            Err(DecodeError::NewerVersion(_))
        ));
        assert!(matches!(split(&[]), Err(DecodeError::Empty)));
        assert!(decode_payload(&[0xff; 3]).is_err());
    }

    /// An ASCII word of four or more letters: English that would reach the accountant.
    fn english_word(text: &str) -> Option<&str> {
        text.split(|c: char| !c.is_ascii_alphabetic())
            .find(|w| w.len() >= 4 && *w != "taizhang")
    }

    #[test]
    fn a_damaged_payload_is_described_in_chinese() {
        let mut entry = sample();
        entry.operator = "会计".into();
        let payload = encode_payload(&entry);
        let mut kinds = std::collections::BTreeSet::new();
        let mut damaged: Vec<Vec<u8>> = (0..payload.len()).map(|n| payload[..n].to_vec()).collect();
        for (i, bit) in (0..payload.len()).flat_map(|i| [(i, 0x01), (i, 0x80), (i, 0x40)]) {
            let mut flipped = payload.clone();
            flipped[i] ^= bit;
            damaged.push(flipped);
        }
        for bytes in &damaged {
            for message in [
                decode_payload(bytes).err().map(|e| e.to_string()),
                source_in_prefix(&[[0; HEADER_BYTES].as_slice(), bytes].concat())
                    .err()
                    .map(|e| e.to_string()),
            ]
            .into_iter()
            .flatten()
            {
                assert!(message.starts_with("记录"), "{message}");
                assert_eq!(english_word(&message), None, "{message}");
                kinds.insert(message);
            }
        }
        // Truncation, a bad varint, bad UTF-8, a bad option tag, a bad variant at least.
        assert!(kinds.len() >= 4, "{kinds:?}");
    }
}
