//! One row of an import file (or one `post` command) to a checked entry.
//!
//! Everything a single row can get wrong is found here, every problem at once; what needs the
//! ledger is left to `taizhang_core::rules`.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use taizhang_core::classify::{classify, Figures};
use taizhang_core::rules::{check_bond_terms, FieldError};
use taizhang_core::text::nfc;
use taizhang_core::*;

/// The longest text a cell may hold, in characters.
pub const TEXT_CHARS_MAX: usize = 500;

/// The cells of one row by column key. A missing column and an empty cell both read as `None`.
pub trait Cells {
    fn get(&self, key: &str) -> Option<&str>;
    /// Whether no cell holds a character no stored text may hold: an import checks the whole
    /// row once instead of each cell (a row of Chinese text would take every cell the slow way).
    fn plain(&self) -> bool {
        false
    }
}

/// A parsed row: the entry, and warnings that do not stop it (unless `--strict`).
#[derive(Debug)]
pub struct Parsed {
    pub body: Body,
    pub warnings: Vec<FieldError>,
}

/// Collects the problems of one row while its fields are read.
struct Reader<'a, C: Cells> {
    cells: &'a C,
    errors: Vec<FieldError>,
}

impl<'a, C: Cells> Reader<'a, C> {
    fn field<T>(
        &mut self,
        key: &'static str,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Option<T> {
        let text = self.cells.get(key)?;
        self.checked(key, text, parse)
    }

    fn required<T>(
        &mut self,
        key: &'static str,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Option<T> {
        let Some(text) = self.cells.get(key) else {
            self.errors.push(FieldError::new(key, "缺少必填值"));
            return None;
        };
        self.checked(key, text, parse)
    }

    /// Parses a cell's text, noting the problem if it has one.
    fn checked<T>(
        &mut self,
        key: &'static str,
        text: &str,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Option<T> {
        let checked = if self.cells.plain() {
            check_length(text)
        } else {
            check_text(text)
        };
        let parsed = checked.and_then(|()| parse(text));
        parsed
            .map_err(|message| self.errors.push(FieldError::new(key, message)))
            .ok()
    }

    /// Text as stored: in normalization form C, so that keys typed two ways are one key.
    fn text(&mut self, key: &'static str) -> Option<String> {
        self.required(key, stored)
    }

    fn optional_text(&mut self, key: &'static str) -> Option<String> {
        self.field(key, stored)
    }
}

/// A text cell as stored: in NFC, and refused if it holds a character no stored text may hold.
///
/// The row-wide check ([`is_plain`]) finds control characters and byte order marks only; the
/// invisible and bidirectional characters (lead bytes E2 and D8) are looked for here, in the cells
/// that are stored as text (in any other cell they fail the cell's own parser). A cell of ASCII and
/// CJK ideographs has neither such a character nor anything to normalize, which one test of its bytes
/// shows (`taizhang_core::text::byte_keeps_nfc`); only other cells are decoded.
fn stored(text: &str) -> Result<String, String> {
    if text.is_ascii() || text.bytes().all(taizhang_core::text::byte_keeps_nfc) {
        return Ok(text.to_string());
    }
    check_text(text)?;
    Ok(nfc(text).into_owned())
}

/// Refuses what no cell should hold: control characters (an embedded line break included), a byte
/// order mark in the middle of the file, invisible and bidirectional-control characters
/// (`taizhang_core::text`), text too long to be a real value.
fn check_text(text: &str) -> Result<(), String> {
    if let Some(found) = taizhang_core::text::find_forbidden(text) {
        return Err(match found.char {
            '\u{feff}' => "含有字节顺序标记（BOM）：文件中间混入了另一个文件的开头？".to_string(),
            _ if found.is_line_break() => {
                format!("单元格内含换行（第 {} 个字符）", found.position)
            }
            _ => found.to_string(),
        });
    }
    check_length(text)
}

/// Refuses text too long to be a real value.
fn check_length(text: &str) -> Result<(), String> {
    // Bytes are at least as many as characters.
    if text.len() > TEXT_CHARS_MAX && text.chars().count() > TEXT_CHARS_MAX {
        return Err(format!("超过 {TEXT_CHARS_MAX} 个字符"));
    }
    Ok(())
}

/// Whether a row's text holds no control character and no byte order mark, so that none of its
/// cells does (see [`Cells::plain`]). The other characters no stored text may hold are looked for in
/// the text cells themselves ([`stored`]).
pub fn is_plain(text: &str) -> bool {
    // Control characters below U+0080 are single bytes; those from U+0080 start with C2, a byte order
    // mark with EF: only then are the characters decoded. Sixteen bytes at a time, without branches,
    // so that the compiler tests them together.
    let flags = |bytes: &[u8]| {
        bytes.iter().fold((false, false), |(control, maybe), &b| {
            (
                control | (b < b' ') | (b == 0x7f),
                maybe | (b == 0xc2) | (b == 0xef),
            )
        })
    };
    let mut chunks = text.as_bytes().chunks_exact(16);
    let (mut control, mut maybe) = flags(chunks.remainder());
    for chunk in &mut chunks {
        let (c, m) = flags(chunk);
        control |= c;
        maybe |= m;
    }
    let decoded_control = || text.chars().any(|c| c.is_control() || c == '\u{feff}');
    !(control || (maybe && decoded_control()))
}

fn parse_u32(text: &str, what: &str, range: std::ops::RangeInclusive<u32>) -> Result<u32, String> {
    text.parse::<u32>()
        .ok()
        .filter(|n| range.contains(n))
        .ok_or_else(|| format!("“{text}”不是有效的{what}"))
}

fn parse_decimal(text: &str, what: &str) -> Result<Decimal, String> {
    // `rust_decimal` reads "3_5" as 35: an underscore is a slip, not a digit separator.
    if text.contains('_') {
        return Err(format!("“{text}”不是有效的{what}"));
    }
    let plain = text.replace(',', "");
    Decimal::from_str_exact(plain.trim_end_matches('%'))
        .ok()
        .filter(|d| !d.is_sign_negative())
        .ok_or_else(|| format!("“{text}”不是有效的{what}"))
}

/// "6:20;7:20": 20% of face repaid at the 6th and the 7th anniversaries.
fn parse_amortization(text: &str) -> Result<Vec<Repayment>, String> {
    text.split([';', '；'])
        .filter(|p| !p.trim().is_empty())
        .map(|part| {
            let (year, pct) = part
                .split_once([':', '：'])
                .ok_or_else(|| format!("“{part}”应写作 年:比例，如 6:20"))?;
            Ok(Repayment {
                year: parse_u32(year.trim(), "还本年份", 1..=50)?,
                percent: parse_decimal(pct.trim(), "还本比例")?,
            })
        })
        .collect()
}

/// Parses one row of a kind.
pub fn parse(kind: Kind, cells: &impl Cells) -> Result<Parsed, Vec<FieldError>> {
    let mut r = Reader {
        cells,
        errors: Vec::new(),
    };
    let mut warnings = Vec::new();
    let body = match kind {
        Kind::Bond => bond(&mut r),
        Kind::Contract => contract(&mut r, &mut warnings),
        Kind::Amendment => amendment(&mut r),
        Kind::Acceptance => acceptance(&mut r),
        Kind::Receipt => receipt(&mut r),
        Kind::Payment => payment(&mut r),
        Kind::Opening => opening(&mut r),
        Kind::Catalog => catalog(&mut r),
        Kind::Reversal => reversal(&mut r),
        Kind::Close => r
            .required("through", parse_date)
            .map(|through| Body::Close(PeriodClose { through })),
        // Not a row of any file: `taizhang unit` builds it (the ledger numbers it).
        Kind::Unit => {
            r.errors
                .push(FieldError::new("name", "单位名称请用 taizhang unit 记录"));
            None
        }
        Kind::User => {
            r.errors
                .push(FieldError::new("name", "用户请用 taizhang user 管理"));
            None
        }
        Kind::Setting => {
            r.errors.push(FieldError::new(
                "require_approval",
                "设置请用 taizhang settings 记录",
            ));
            None
        }
        Kind::Review => {
            r.errors
                .push(FieldError::new("batch", "审核请在网页工作台的待审页进行"));
            None
        }
        Kind::Attachment => {
            r.errors
                .push(FieldError::new("name", "附件请用 taizhang attach 添加"));
            None
        }
    };
    match body {
        Some(body) if r.errors.is_empty() => Ok(Parsed { body, warnings }),
        _ => Err(r.errors),
    }
}

fn bond(r: &mut Reader<impl Cells>) -> Option<Body> {
    let code = r.text("bond_code");
    let name = r.text("bond_name");
    let issue_date = r.required("issue_date", parse_date);
    let value_date = r.field("value_date", parse_date);
    let term_years = r.required("term_years", |s| {
        parse_u32(s.trim_end_matches('年'), "期限（年）", 1..=50)
    });
    let coupon_rate = r.required("coupon_rate", |s| parse_decimal(s, "票面利率"));
    let frequency = r.required("frequency", Frequency::parse);
    let amortization = r
        .field("amortization", parse_amortization)
        .unwrap_or_default();
    let project_code = r.text("project_code");
    let project_name = r.text("project_name");
    let amount = r.required("amount", Amount::parse_positive);
    let issue_date = issue_date?;
    let terms = BondTerms {
        code: code?,
        name: name?,
        issue_date,
        value_date: value_date.unwrap_or(issue_date),
        term_years: term_years?,
        coupon_rate: coupon_rate?,
        frequency: frequency?,
        amortization,
    };
    r.errors.extend(check_bond_terms(&terms));
    Some(Body::Bond(BondAllocation {
        terms,
        project_code: project_code?,
        project_name: project_name?,
        amount: amount?,
    }))
}

fn contract(r: &mut Reader<impl Cells>, warnings: &mut Vec<FieldError>) -> Option<Body> {
    let no = r.text("contract_no");
    let title = r.text("title");
    let sign_date = r.required("sign_date", parse_date);
    let category = r.required("category", Category::parse);
    let method = r.required("method", Method::parse);
    let fund = r.required("fund", Fund::parse);
    let project_code = r.optional_text("project_code");
    let name = r.text("supplier_name");
    let uscc = r.field("uscc", Uscc::parse);
    let size = r.required("size", SupplierSize::parse);
    let special = r.field("special", Special::parse);
    let amount = r.required("share_amount", Amount::parse_positive);
    let declaration = declaration(r);
    let clauses = clauses(r, size, special);
    if let (Some(size), Some(Some(d))) = (size, declaration.as_ref()) {
        match classify(d.industry, &d.figures) {
            Ok(found) if found != size => warnings.push(FieldError::new(
                "size",
                format!(
                    "声明为{size}，但按{}的划型标准，所填从业人员、营业收入、资产总额对应{found}",
                    d.industry
                ),
            )),
            Ok(_) => {}
            Err(message) => warnings.push(FieldError::new("industry", message)),
        }
    }
    Some(Body::Contract(ContractPart {
        terms: ContractTerms {
            no: no?,
            title: title?,
            sign_date: sign_date?,
            category: category?,
            method: method?,
            fund: fund?,
            project_code,
            clauses: clauses?,
        },
        part: SupplierPart {
            name: name?,
            uscc,
            size: size?,
            special,
            amount: amount?,
            declaration: declaration?,
        },
    }))
}

/// The contract's optional clauses (interchange.md §"Additions"). A term over 60 days is refused for
/// an SME part: 《保障中小企业款项支付条例》 allows at most 60.
fn clauses(
    r: &mut Reader<impl Cells>,
    size: Option<SupplierSize>,
    special: Option<Special>,
) -> Option<Clauses> {
    let errors_before = r.errors.len();
    let payment_terms_days = r.field("payment_terms_days", |s| {
        parse_u32(s.trim_end_matches('天'), "付款期限（天）", 0..=3650)
    });
    let late_interest_daily_pct = r.field("late_interest_daily_pct", |s| {
        parse_decimal(s, "逾期日利率（%）").and_then(|d| {
            if d > Decimal::ONE {
                Err(format!(
                    "逾期日利率 {d}% 过高（按日计，如 0.05 即万分之五）"
                ))
            } else {
                Ok(d)
            }
        })
    });
    let budget = r.field("budget", Amount::parse_positive);
    let reserved = r.field("reserved", Amount::parse_non_negative);
    let reserved_small_micro = r.field("reserved_small_micro", Amount::parse_non_negative);
    let notice_date = r.field("notice_date", parse_date);
    if let (Some(days), Some(size)) = (payment_terms_days, size) {
        let max = taizhang_projection::rulebook::shipped().sme_terms_days_max();
        if days > max && SmeClass::of(size, special).is_sme() {
            r.errors.push(FieldError::new(
                "payment_terms_days",
                format!("付款期限 {days} 天超过 {max} 天：向中小企业付款的约定期限最长 {max} 天（《保障中小企业款项支付条例》）"),
            ));
        }
    }
    if let (Some(budget), Some(reserved)) = (budget, reserved) {
        if reserved > budget {
            r.errors.push(FieldError::new(
                "reserved",
                format!("预留金额 {reserved} 超过预算金额 {budget}"),
            ));
        }
    }
    match (reserved, reserved_small_micro) {
        (Some(reserved), Some(small)) if small > reserved => r.errors.push(FieldError::new(
            "reserved_small_micro",
            format!("预留小微企业金额 {small} 超过预留金额 {reserved}"),
        )),
        (None, Some(_)) => r.errors.push(FieldError::new(
            "reserved_small_micro",
            "填写预留小微企业金额时须填写预留金额",
        )),
        _ => {}
    }
    (r.errors.len() == errors_before).then_some(Clauses {
        payment_terms_days,
        late_interest_daily_pct,
        budget,
        reserved,
        reserved_small_micro,
        notice_date,
    })
}

fn acceptance(r: &mut Reader<impl Cells>) -> Option<Body> {
    let contract_no = r.text("contract_no");
    let supplier_name = r.text("supplier_name");
    let date = r.required("date", parse_date);
    let basis = r.required("basis", Basis::parse);
    let amount = r.required("amount", Amount::parse_positive);
    let memo = r.optional_text("memo").unwrap_or_default();
    Some(Body::Acceptance(Acceptance {
        contract_no: contract_no?,
        supplier_name: supplier_name?,
        date: date?,
        basis: basis?,
        amount: amount?,
        memo,
    }))
}

/// The optional 声明函 figures: `Some(None)` when none are given, `None` when one is wrong.
fn declaration(r: &mut Reader<impl Cells>) -> Option<Option<Declaration>> {
    let errors_before = r.errors.len();
    let industry = r.field("industry", Industry::parse);
    let people = r.field("people", |s| {
        s.replace(',', "")
            .parse::<u64>()
            .map_err(|_| format!("“{s}”不是人数"))
    });
    let revenue = r.field("revenue", |s| parse_decimal(s, "营业收入（万元）"));
    let assets = r.field("assets", |s| parse_decimal(s, "资产总额（万元）"));
    if r.errors.len() > errors_before {
        return None;
    }
    let figures = Figures {
        people,
        revenue,
        assets,
    };
    match industry {
        Some(industry) => Some(Some(Declaration { industry, figures })),
        None if figures == Figures::default() => Some(None),
        None => {
            r.errors.push(FieldError::new(
                "industry",
                "填写了从业人员、营业收入或资产总额时须注明行业",
            ));
            None
        }
    }
}

fn amendment(r: &mut Reader<impl Cells>) -> Option<Body> {
    let contract_no = r.text("contract_no");
    let date = r.required("date", parse_date);
    let supplier_name = r.text("supplier_name");
    let size = r.field("size", SupplierSize::parse);
    let special = r.field("special", special_setting);
    let correction =
        (size.is_some() || special.is_some()).then_some(ClassCorrection { size, special });
    // A correction of the class may leave the amount as it is; a plain amendment must change it.
    let delta = match correction {
        Some(_) => r.field("delta", Amount::parse).or(Some(Amount::ZERO)),
        None => r.required("delta", |s| {
            Amount::parse(s).and_then(|a| {
                if a.is_zero() {
                    Err("变更金额不得为零（更正企业规模或特殊主体时填 size 企业规模、special 特殊主体）".to_string())
                } else {
                    Ok(a)
                }
            })
        }),
    };
    let reason = r.text("reason");
    Some(Body::Amendment(Amendment {
        contract_no: contract_no?,
        date: date?,
        supplier_name: supplier_name?,
        delta: delta?,
        reason: reason?,
        correction,
        before: None,
    }))
}

/// A corrected special status: one of the two, or 无 (none) to remove a wrongly declared one.
fn special_setting(text: &str) -> Result<Option<Special>, String> {
    match text.trim() {
        "无" | "none" | "NONE" | "None" => Ok(None),
        word => Special::parse(word)
            .map(Some)
            .map_err(|e| format!("{e}；取消特殊主体填“无”")),
    }
}

fn receipt(r: &mut Reader<impl Cells>) -> Option<Body> {
    let voucher_no = r.text("voucher_no");
    let date = r.required("date", parse_date);
    let fund = r.required("fund", Fund::parse);
    let code = r.required("function_code", FunctionCode::parse);
    let code_name = r.optional_text("function_name");
    let amount = r.required("amount", Amount::parse_positive);
    let bond_code = r.optional_text("bond_code");
    let project_code = r.optional_text("project_code");
    let memo = r.optional_text("memo").unwrap_or_default();
    Some(Body::Receipt(Receipt {
        voucher_no: voucher_no?,
        date: date?,
        fund: fund?,
        code: code?,
        code_name,
        amount: amount?,
        bond_code,
        project_code,
        memo,
    }))
}

fn payment(r: &mut Reader<impl Cells>) -> Option<Body> {
    let voucher_no = r.text("voucher_no");
    let date = r.required("date", parse_date);
    let fund = r.required("fund", Fund::parse);
    let code = r.required("function_code", FunctionCode::parse);
    let code_name = r.optional_text("function_name");
    let expense_type = r.required("expense_type", ExpenseType::parse);
    let amount = r.required("amount", Amount::parse_positive);
    let project_code = r.optional_text("project_code");
    let contract_no = r.optional_text("contract_no");
    let bond_code = r.optional_text("bond_code");
    let purpose = r.field("purpose", Purpose::parse).unwrap_or(Purpose::Other);
    let payee = r.text("payee");
    let memo = r.optional_text("memo").unwrap_or_default();
    let econ_code = r.field("econ_code", EconCode::parse);
    if let (Some(code), Some(_)) = (&econ_code, &bond_code) {
        if code.is_recurring() {
            r.errors.push(FieldError::new(
                "econ_code",
                format!("专项债券资金不得用于经常性支出（经济分类 {code}）：地方政府举借的债务只能用于公益性资本支出，不得用于经常性支出（《中华人民共和国预算法》第三十五条）"),
            ));
        }
    }
    Some(Body::Payment(Payment {
        voucher_no: voucher_no?,
        date: date?,
        fund: fund?,
        code: code?,
        code_name,
        expense_type: expense_type?,
        amount: amount?,
        project_code,
        contract_no,
        bond_code,
        purpose,
        payee: payee?,
        memo,
        econ_code,
    }))
}

fn opening(r: &mut Reader<impl Cells>) -> Option<Body> {
    let year = r.required("year", |s| {
        let year = s
            .trim_end_matches('年')
            .parse::<i32>()
            .map_err(|_| format!("“{s}”不是年度"))?;
        taizhang_core::period::check_year(year, s)
    });
    let fund = r.required("fund", Fund::parse);
    let code = r.required("function_code", FunctionCode::parse);
    let code_name = r.optional_text("function_name");
    let amount = r.required("amount", Amount::parse_non_negative);
    let adjust_reason = r.field("adjust_reason", AdjustReason::parse);
    Some(Body::Opening(Opening {
        year: year?,
        fund: fund?,
        code: code?,
        code_name,
        amount: amount?,
        adjust_reason,
    }))
}

fn catalog(r: &mut Reader<impl Cells>) -> Option<Body> {
    let code = r.required("code", ClassCode::parse);
    let name = r.text("name");
    Some(Body::Catalog(CatalogName {
        code: code?,
        name: name?,
    }))
}

fn reversal(r: &mut Reader<impl Cells>) -> Option<Body> {
    let voucher_no = r.text("voucher_no");
    let date: Option<NaiveDate> = r.required("date", parse_date);
    let reason = r.text("reason");
    Some(Body::Reversal(Reversal {
        voucher_no: voucher_no?,
        date: date?,
        reason: reason?,
    }))
}

#[cfg(test)]
mod number_tests {
    #[test]
    fn rates_and_figures_refuse_underscores() {
        assert!(super::parse_decimal("3_5", "票面利率").is_err());
        assert_eq!(
            super::parse_decimal("3.25%", "票面利率")
                .unwrap()
                .to_string(),
            "3.25"
        );
    }
}

#[cfg(test)]
mod plain_tests {
    use super::{check_text, is_plain, stored, TEXT_CHARS_MAX};

    proptest::proptest! {
        /// The byte-wise test agrees with the character-wise one on any text, controls and BOMs
        /// included.
        #[test]
        fn a_row_is_plain_exactly_when_no_character_is_a_control_or_a_bom(
            text in "(\\PC|[\\u{0}-\\u{1f}\\u{7f}-\\u{9f}\\u{feff}，：·×])*"
        ) {
            let expected = !text.chars().any(|c| c.is_control() || c == '\u{feff}');
            proptest::prop_assert_eq!(is_plain(&text), expected);
        }

        /// A text cell is stored in NFC, or refused exactly when it holds a forbidden character (or
        /// is too long).
        #[test]
        fn a_text_cell_is_stored_in_nfc_or_refused_for_a_forbidden_character(
            text in "(\\PC|[\\u{0}-\\u{1f}\\u{7f}-\\u{9f}\\u{feff}\\u{200b}-\\u{200f}\\u{2028}-\\u{202e}\\u{2060}-\\u{2069}\\u{61c}\\u{301}，：·×“”])*"
        ) {
            let forbidden = text.chars().any(|c| taizhang_core::text::forbidden(c).is_some());
            // As a row's cell goes: the row's check (or the cell's, in a row that is not plain),
            // then the text cell's own.
            let checked = if is_plain(&text) { Ok(()) } else { check_text(&text) };
            match checked.and_then(|()| stored(&text)) {
                Ok(stored) => {
                    proptest::prop_assert!(!forbidden);
                    proptest::prop_assert_eq!(stored, taizhang_core::text::nfc(&text).into_owned());
                }
                Err(_) => proptest::prop_assert!(forbidden || text.chars().count() > TEXT_CHARS_MAX),
            }
        }
    }
}
