//! The rules an entry must pass against what the ledger already holds.
//!
//! The store answers the questions ([`Known`]) from its open write transaction, so entries earlier in
//! the same batch count as posted; this module decides. Parse-level checks (formats, ranges) happen
//! when the entry is built; here are the ones that need the ledger: idempotency, period locks,
//! references, agreement between rows of one bond or contract, catalogue names.

use std::borrow::Cow;
use std::sync::Arc;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::amount::Amount;
use crate::code::FunctionCode;
use crate::entry::*;

/// A problem with one column of one entry. `column` is the English key of interchange.md.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldError {
    pub column: &'static str,
    pub message: String,
}

impl FieldError {
    pub fn new(column: &'static str, message: impl Into<String>) -> FieldError {
        FieldError {
            column,
            message: message.into(),
        }
    }
}

/// Why an entry was not accepted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The entry breaks a rule; every broken rule is listed.
    Invalid(Vec<FieldError>),
    /// The store could not answer; the batch must be abandoned.
    Lookup(String),
}

impl From<LookupFailed> for Refusal {
    fn from(e: LookupFailed) -> Refusal {
        Refusal::Lookup(e.0)
    }
}

/// The store failed to read (I/O or corruption), not a problem of the entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LookupFailed(pub String);

/// What the ledger holds, as the rules need to ask it.
pub trait Known {
    /// The entry posted under this key, if any.
    fn posted(&self, key: &EntryKey) -> Result<Option<Body>, LookupFailed>;
    /// Whether the entry under this key was posted earlier in the batch being checked.
    fn posted_in_this_batch(&self, key: &EntryKey) -> Result<bool, LookupFailed>;
    /// The last closed day, if any period is closed.
    fn closed_through(&self) -> Result<Option<NaiveDate>, LookupFailed>;
    /// The name of a code: shipped catalogue first, then the ledger's own names.
    fn name_of(&self, code: &str) -> Result<Option<Cow<'static, str>>, LookupFailed>;
    /// Every allocation of a bond. Shared, because every row that names the bond asks.
    fn bond_allocations(&self, bond_code: &str) -> Result<Arc<Vec<BondAllocation>>, LookupFailed>;
    /// The terms of a contract, if any part of it is posted.
    fn contract_terms(&self, contract_no: &str)
        -> Result<Option<Arc<ContractTerms>>, LookupFailed>;
    /// A supplier part as every amendment posted so far left it, if the part is posted.
    fn part_now(&self, contract_no: &str, supplier: &str) -> Result<Option<PartNow>, LookupFailed>;
    /// Whether `code`, given without a name, already passed the catalogue check: names are only ever
    /// added, never changed or removed, so it passes again. A memo for long batches; by default none.
    fn code_named(&self, _code: &FunctionCode) -> bool {
        false
    }
    /// Remembers that `code`, given without a name, passed the catalogue check.
    fn remember_code_named(&self, _code: &FunctionCode) {}
}

/// A supplier part now: its class and amount after every amendment, and whether a correction ever
/// changed its class from the one it was posted with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PartNow {
    pub state: PartState,
    pub corrected: bool,
}

/// What to do with an entry that passed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Post it (as [`check`] left it: defaults resolved, e.g. a bond's only project).
    Post,
    /// Already posted with the same content: skip it.
    AlreadyPosted,
}

/// Checks an entry against the ledger, filling in the defaults it leaves to the ledger. The entry is
/// changed in place: a row's body is a few hundred bytes, and each move a copy on the hot path.
pub fn check(body: &mut Body, known: &impl Known) -> Result<Verdict, Refusal> {
    resolve_defaults(body, known)?;
    let body = &*body;
    let key = body.key();
    if let Some(existing) = known.posted(&key)? {
        return if known.posted_in_this_batch(&key)? {
            Err(invalid(
                body.key_column(),
                format!("{}在同一批导入中重复出现", key.describe()),
            ))
        } else if same_content(&existing, body) {
            Ok(Verdict::AlreadyPosted)
        } else {
            Err(invalid(
                body.key_column(),
                conflict_message(&existing, body, known)?,
            ))
        };
    }
    let mut errors = Vec::new();
    check_period(body, known, &mut errors)?;
    check_kind(body, known, &mut errors)?;
    if errors.is_empty() {
        Ok(Verdict::Post)
    } else {
        Err(Refusal::Invalid(errors))
    }
}

/// Whether a row offered again is the entry posted: what the ledger fills in (an amendment's part as
/// it was then) is not part of what the user gave.
fn same_content(existing: &Body, new: &Body) -> bool {
    match (existing, new) {
        (Body::Amendment(old), Body::Amendment(new)) => {
            Amendment {
                before: None,
                ..old.clone()
            } == Amendment {
                before: None,
                ..new.clone()
            }
        }
        _ => existing == new,
    }
}

/// A conflict, with the correction that fits the kind of entry (domain.md).
fn conflict_message(
    existing: &Body,
    new: &Body,
    known: &impl Known,
) -> Result<String, LookupFailed> {
    let described = new.key().describe();
    Ok(match (existing, new) {
        (Body::Catalog(old), Body::Catalog(new)) => format!(
            "科目 {} 已名为“{}”，不能改为“{}”",
            old.code, old.name, new.name
        ),
        (Body::Reversal(_), Body::Reversal(r)) => {
            format!("凭证号 {} 已冲销过，不能再次冲销", r.voucher_no)
        }
        (_, Body::Receipt(Receipt { voucher_no: voucher, .. }))
        | (_, Body::Payment(Payment { voucher_no: voucher, .. })) => {
            if known.posted(&EntryKey::Reversal(voucher.clone()))?.is_some() {
                format!("凭证号 {voucher} 已记账并已冲销，不能再用：重新记账请使用新的凭证号")
            } else {
                format!("{described}已记账且内容不同（冲突）；如需更正，请先冲销（taizhang reverse --voucher {voucher}），再以新的凭证号记账")
            }
        }
        (Body::Contract(_), Body::Contract(_)) => format!(
            "{described}已记账且内容不同（冲突）；合同不能冲销：金额变化请记补充协议（amendments 文件的 delta 变更金额），企业规模或特殊主体填错请记补充协议更正（size 企业规模、special 特殊主体）"
        ),
        (Body::Amendment(_), _) => format!(
            "{described}已记账且内容不同（冲突）；补充协议不能修改：请以另一日期再记一份补充协议更正"
        ),
        (Body::Opening(_), _) => format!(
            "{described}已记账且内容不同（冲突）；年初结转和结余记账后不能修改：差额请在下一年度的年初数中调整并填写调整原因"
        ),
        (Body::Acceptance(_), _) => format!(
            "{described}已记账且内容不同（冲突）；验收记录记账后不能修改（台账只增不改）"
        ),
        (Body::Bond(_), _) => format!(
            "{described}已记账且内容不同（冲突）；债券分配记账后不能修改（台账只增不改）"
        ),
        _ => format!("{described}已记账且内容不同（冲突）"),
    })
}

fn invalid(column: &'static str, message: String) -> Refusal {
    Refusal::Invalid(vec![FieldError::new(column, message)])
}

/// Whether `check` may fill in a default (a bond's only project), so that the posted entry can
/// differ from the offered one.
pub fn may_fill_defaults(body: &Body) -> bool {
    match body {
        Body::Receipt(r) => r.bond_code.is_some() && r.project_code.is_none(),
        Body::Payment(p) => p.bond_code.is_some() && p.project_code.is_none(),
        Body::Amendment(_) => true,
        _ => false,
    }
}

/// A receipt or payment that names a bond but no project goes to the bond's only project.
fn resolve_defaults(body: &mut Body, known: &impl Known) -> Result<(), Refusal> {
    let fill = |bond: &Option<String>, project: &mut Option<String>| -> Result<(), Refusal> {
        if let (Some(bond), None) = (bond, project.as_ref()) {
            if let [only] = known.bond_allocations(bond)?.as_slice() {
                *project = Some(only.project_code.clone());
            }
        }
        Ok(())
    };
    match body {
        Body::Receipt(r) => fill(&r.bond_code, &mut r.project_code),
        Body::Payment(p) => fill(&p.bond_code, &mut p.project_code),
        Body::Amendment(a) => {
            a.before = part_before(a, known)?;
            Ok(())
        }
        _ => Ok(()),
    }
}

/// The part an amendment changes, as the ledger holds it, where the amendment's sums need it: a
/// correction moves the part's amount between classes, and any amendment of a corrected part counts
/// in the corrected class.
fn part_before(a: &Amendment, known: &impl Known) -> Result<Option<PartState>, LookupFailed> {
    let now = known.part_now(&a.contract_no, &a.supplier_name)?;
    Ok(now
        .filter(|now| now.corrected || a.correction.is_some())
        .map(|now| now.state))
}

fn check_period(
    body: &Body,
    known: &impl Known,
    errors: &mut Vec<FieldError>,
) -> Result<(), LookupFailed> {
    if let (Some(date), Some(closed)) = (body.period_date(), known.closed_through()?) {
        if date <= closed {
            let column = match body {
                Body::Contract(_) => "sign_date",
                Body::Bond(_) => "issue_date",
                Body::Opening(_) => "year",
                _ => "date",
            };
            errors.push(FieldError::new(
                column,
                format!("日期 {date} 所在期间已结账（已结账至 {closed}），不能再记账"),
            ));
        }
    }
    Ok(())
}

fn check_kind(
    body: &Body,
    known: &impl Known,
    errors: &mut Vec<FieldError>,
) -> Result<(), LookupFailed> {
    match body {
        Body::Bond(b) => check_bond(b, known, errors),
        Body::Contract(c) => check_contract(c, known, errors),
        Body::Amendment(a) => check_amendment(a, known, errors),
        Body::Receipt(r) => {
            check_code_name(&r.code, r.code_name.as_deref(), known, errors)?;
            check_bond_ref(
                r.bond_code.as_deref(),
                r.project_code.as_deref(),
                known,
                errors,
            )
        }
        Body::Payment(p) => check_payment(p, known, errors),
        Body::Opening(o) => check_code_name(&o.code, o.code_name.as_deref(), known, errors),
        Body::Catalog(c) => check_catalog(c, known, errors),
        Body::Reversal(r) => check_reversal(r, known, errors),
        Body::Close(c) => check_close(c, known, errors),
        Body::Acceptance(a) => check_acceptance(a, known, errors),
        // Checked where they are made: a setting and a review by the store's functions that
        // write them, an attachment's target by `Ledger::attach` (it names an entry by seq).
        Body::Unit(_)
        | Body::User(_)
        | Body::Setting(_)
        | Body::Review(_)
        | Body::Attachment(_) => Ok(()),
    }
}

/// An acceptance needs its contract part, and comes on or after the signing.
fn check_acceptance(
    a: &Acceptance,
    known: &impl Known,
    errors: &mut Vec<FieldError>,
) -> Result<(), LookupFailed> {
    let Some(terms) = known.contract_terms(&a.contract_no)? else {
        errors.push(FieldError::new(
            "contract_no",
            format!("合同 {} 不存在（须先导入合同）", a.contract_no),
        ));
        return Ok(());
    };
    if a.date < terms.sign_date {
        errors.push(FieldError::new(
            "date",
            format!("验收日期 {} 早于合同签订日期 {}", a.date, terms.sign_date),
        ));
    }
    if known.part_now(&a.contract_no, &a.supplier_name)?.is_none() {
        errors.push(FieldError::new(
            "supplier_name",
            format!("合同 {} 没有供应商“{}”", a.contract_no, a.supplier_name),
        ));
    }
    Ok(())
}

fn check_bond(
    b: &BondAllocation,
    known: &impl Known,
    errors: &mut Vec<FieldError>,
) -> Result<(), LookupFailed> {
    if let Some(other) = known.bond_allocations(&b.terms.code)?.first() {
        if other.terms != b.terms {
            errors.push(FieldError::new("bond_code", format!("债券 {} 的要素（名称、日期、期限、利率、付息频率、提前还本）与已有分配行不一致", b.terms.code)));
        }
    }
    Ok(())
}

fn check_contract(
    c: &ContractPart,
    known: &impl Known,
    errors: &mut Vec<FieldError>,
) -> Result<(), LookupFailed> {
    if let Some(terms) = known.contract_terms(&c.terms.no)? {
        if *terms != c.terms {
            errors.push(FieldError::new(
                "contract_no",
                format!(
                    "合同 {} 的要素（名称、签订日期、类别、方式、资金性质、项目、付款期限、逾期日利率、预算、预留金额、公告日期）与已有行不一致",
                    c.terms.no
                ),
            ));
        }
    }
    Ok(())
}

fn check_amendment(
    a: &Amendment,
    known: &impl Known,
    errors: &mut Vec<FieldError>,
) -> Result<(), LookupFailed> {
    let Some(terms) = known.contract_terms(&a.contract_no)? else {
        errors.push(FieldError::new(
            "contract_no",
            format!("合同 {} 不存在（须先导入合同）", a.contract_no),
        ));
        return Ok(());
    };
    if a.date < terms.sign_date {
        errors.push(FieldError::new(
            "date",
            format!(
                "补充协议日期 {} 早于合同签订日期 {}",
                a.date, terms.sign_date
            ),
        ));
    }
    let Some(now) = known.part_now(&a.contract_no, &a.supplier_name)? else {
        errors.push(FieldError::new(
            "supplier_name",
            format!("合同 {} 没有供应商“{}”", a.contract_no, a.supplier_name),
        ));
        return Ok(());
    };
    let amount = now.state.amount;
    if amount + a.delta < Amount::ZERO {
        errors.push(FieldError::new(
            "delta",
            format!(
                "变更后该供应商分配金额为 {}，不得为负（现为 {amount}）",
                amount + a.delta
            ),
        ));
    }
    if a.correction.is_some() && a.class_after(&now.state) == (now.state.size, now.state.special) {
        let special = now
            .state
            .special
            .map_or("无".to_string(), |s| s.to_string());
        errors.push(FieldError::new(
            "size",
            format!(
                "更正后的企业规模和特殊主体与现有的相同（{}、特殊主体{special}），没有可更正的",
                now.state.size
            ),
        ));
    }
    Ok(())
}

fn check_payment(
    p: &Payment,
    known: &impl Known,
    errors: &mut Vec<FieldError>,
) -> Result<(), LookupFailed> {
    check_code_name(&p.code, p.code_name.as_deref(), known, errors)?;
    check_bond_ref(
        p.bond_code.as_deref(),
        p.project_code.as_deref(),
        known,
        errors,
    )?;
    if let Some(no) = &p.contract_no {
        if known.contract_terms(no)?.is_none() {
            errors.push(FieldError::new(
                "contract_no",
                format!("合同 {no} 不存在（须先导入合同，或在同一批中导入）"),
            ));
        }
    }
    Ok(())
}

fn check_bond_ref(
    bond: Option<&str>,
    project: Option<&str>,
    known: &impl Known,
    errors: &mut Vec<FieldError>,
) -> Result<(), LookupFailed> {
    let Some(bond) = bond else { return Ok(()) };
    let allocations = known.bond_allocations(bond)?;
    if allocations.is_empty() {
        errors.push(FieldError::new(
            "bond_code",
            format!("债券 {bond} 不存在（须先导入债券）"),
        ));
        return Ok(());
    }
    match project {
        None => errors.push(FieldError::new(
            "project_code",
            format!("债券 {bond} 分配给多个项目，须填写项目编码"),
        )),
        Some(project) if !allocations.iter().any(|a| a.project_code == project) => {
            errors.push(FieldError::new(
                "project_code",
                format!("债券 {bond} 未分配给项目 {project}"),
            ))
        }
        Some(_) => {}
    }
    Ok(())
}

/// A posted 项 needs a name (from the catalogue or the row), and so do its 款 and 类.
fn check_code_name(
    code: &FunctionCode,
    given: Option<&str>,
    known: &impl Known,
    errors: &mut Vec<FieldError>,
) -> Result<(), LookupFailed> {
    if given.is_none() && known.code_named(code) {
        return Ok(());
    }
    let errors_before = errors.len();
    match (known.name_of(code.as_str())?, given) {
        (Some(name), Some(given)) if name != given => errors.push(FieldError::new(
            "function_name",
            format!("科目 {code} 在目录中名为“{name}”，与所填“{given}”不同"),
        )),
        (None, None) => errors.push(FieldError::new(
            "function_name",
            format!("科目 {code} 不在目录中：请填写功能分类科目名称，或先导入 catalog 文件"),
        )),
        _ => {}
    }
    for parent in code.class().ancestor_strs() {
        if known.name_of(parent)?.is_none() {
            let level = if parent.len() == 5 { "款" } else { "类" };
            errors.push(FieldError::new(
                "function_code",
                format!("科目 {code} 的上级 {parent}（{level}）不在目录中：请先以 catalog 文件补充其名称"),
            ));
        }
    }
    if given.is_none() && errors.len() == errors_before {
        known.remember_code_named(code);
    }
    Ok(())
}

fn check_catalog(
    c: &CatalogName,
    known: &impl Known,
    errors: &mut Vec<FieldError>,
) -> Result<(), LookupFailed> {
    if let Some(name) = known.name_of(c.code.as_str())? {
        if name != c.name {
            errors.push(FieldError::new(
                "name",
                format!("科目 {} 已名为“{name}”，不能改为“{}”", c.code, c.name),
            ));
        }
    }
    Ok(())
}

fn check_reversal(
    r: &Reversal,
    known: &impl Known,
    errors: &mut Vec<FieldError>,
) -> Result<(), LookupFailed> {
    let original_date = match known.posted(&EntryKey::Voucher(r.voucher_no.clone()))? {
        Some(Body::Receipt(x)) => x.date,
        Some(Body::Payment(x)) => x.date,
        _ => {
            errors.push(FieldError::new("voucher_no", nothing_to_reverse(r, known)?));
            return Ok(());
        }
    };
    if r.date < original_date {
        errors.push(FieldError::new(
            "date",
            format!("冲销日期 {} 早于原凭证日期 {original_date}", r.date),
        ));
    }
    Ok(())
}

/// A closing goes forward only: closing through an earlier day than the current closing would say
/// something false about what is closed.
fn check_close(
    c: &PeriodClose,
    known: &impl Known,
    errors: &mut Vec<FieldError>,
) -> Result<(), LookupFailed> {
    if let Some(closed) = known.closed_through()?.filter(|&d| c.through < d) {
        errors.push(FieldError::new(
            "through",
            format!(
                "已结账至 {closed}，不能结账到更早的 {}（结账只能向后推进）",
                c.through
            ),
        ));
    }
    Ok(())
}

/// Why a reversal finds nothing: a contract is corrected by an amendment, not reversed.
fn nothing_to_reverse(r: &Reversal, known: &impl Known) -> Result<String, LookupFailed> {
    Ok(if known.contract_terms(&r.voucher_no)?.is_some() {
        format!(
            "{} 是合同编号，合同不能冲销：金额变化请记补充协议（delta 变更金额），企业规模或特殊主体填错请记补充协议更正（size 企业规模、special 特殊主体）",
            r.voucher_no
        )
    } else {
        format!("凭证号 {} 没有已记账的收入或支出，无从冲销", r.voucher_no)
    })
}

/// Checks bond terms that a single row can get wrong: ranges and the amortization plan.
pub fn check_bond_terms(terms: &BondTerms) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if !(1..=50).contains(&terms.term_years) {
        errors.push(FieldError::new(
            "term_years",
            format!("期限 {} 年不在 1 至 50 年之间", terms.term_years),
        ));
    }
    if terms.coupon_rate <= Decimal::ZERO || terms.coupon_rate >= Decimal::from(100) {
        errors.push(FieldError::new(
            "coupon_rate",
            format!("票面利率 {}% 应大于 0 且小于 100", terms.coupon_rate),
        ));
    }
    if terms.value_date < terms.issue_date {
        errors.push(FieldError::new("value_date", "起息日早于发行日期"));
    }
    let mut last_year = 0;
    let mut total = Decimal::ZERO;
    for r in &terms.amortization {
        if r.year <= last_year || r.year >= terms.term_years {
            errors.push(FieldError::new(
                "amortization",
                format!(
                    "提前还本第 {} 年应递增且早于到期（期限 {} 年）",
                    r.year, terms.term_years
                ),
            ));
        }
        last_year = r.year;
        total += r.percent;
    }
    if total >= Decimal::from(100) {
        errors.push(FieldError::new(
            "amortization",
            format!("提前还本比例合计 {total}% 应小于 100%（余额到期偿还）"),
        ));
    }
    errors
}
