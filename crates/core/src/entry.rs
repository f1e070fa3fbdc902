//! The entries of the ledger, one type per kind, each valid by construction once parsed.
//!
//! An entry is what the accountant posted; when and by whom it was recorded lives with the stored
//! record (the store crate), not here.

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::amount::Amount;
use crate::classify::Figures;
use crate::code::{ClassCode, EconCode, FunctionCode};
use crate::uscc::Uscc;
use crate::vocab::{
    AdjustReason, Basis, Category, ExpenseType, Frequency, Fund, Industry, Method, Purpose,
    Special, SupplierSize,
};

/// A repayment of part of a bond's face before maturity (提前还本).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Repayment {
    /// The anniversary of the value date, 1-based.
    pub year: u32,
    /// Percent of face, e.g. 20 for 20%.
    pub percent: Decimal,
}

/// What is the same on every row of one bond.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct BondTerms {
    pub code: String,
    pub name: String,
    pub issue_date: NaiveDate,
    pub value_date: NaiveDate,
    pub term_years: u32,
    /// Percent per year, e.g. 3.25.
    pub coupon_rate: Decimal,
    pub frequency: Frequency,
    pub amortization: Vec<Repayment>,
}

/// The part of a bond allocated to one of the unit's projects.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct BondAllocation {
    pub terms: BondTerms,
    pub project_code: String,
    pub project_name: String,
    pub amount: Amount,
}

/// What is the same on every row of one contract.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ContractTerms {
    pub no: String,
    pub title: String,
    pub sign_date: NaiveDate,
    pub category: Category,
    pub method: Method,
    pub fund: Fund,
    pub project_code: Option<String>,
    /// The clauses issue 17 added (payment terms, reserve, notice): all optional, none for a contract
    /// posted before them.
    pub clauses: Clauses,
}

/// A contract's payment terms, reserve and notice (interchange.md §"Additions"); `None`: not given
/// (the payment terms then default to the regulation's, `ledger-data/rules/payment.csv`: 30 days and
/// 0.05 % a day).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Clauses {
    /// 付款期限（天）: calendar days from acceptance to payment.
    pub payment_terms_days: Option<u32>,
    /// 逾期日利率（%）: percent a day, e.g. 0.05.
    pub late_interest_daily_pct: Option<Decimal>,
    /// 预算金额.
    pub budget: Option<Amount>,
    /// 预留金额: the part of the budget reserved for SMEs.
    pub reserved: Option<Amount>,
    /// 预留小微企业金额: the part of the reserve for small and micro firms.
    pub reserved_small_micro: Option<Amount>,
    /// 合同公告日期.
    pub notice_date: Option<NaiveDate>,
}

impl Clauses {
    pub fn is_empty(&self) -> bool {
        *self == Clauses::default()
    }
}

/// What a supplier declared in its 中小企业声明函.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Declaration {
    pub industry: Industry,
    pub figures: Figures,
}

/// One supplier's part of a contract.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SupplierPart {
    pub name: String,
    pub uscc: Option<Uscc>,
    pub size: SupplierSize,
    pub special: Option<Special>,
    pub amount: Amount,
    pub declaration: Option<Declaration>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ContractPart {
    pub terms: ContractTerms,
    pub part: SupplierPart,
}

/// A 补充协议 changing one supplier's part: its amount, or (a correction of a wrong declaration) its
/// size or special status, or both (domain.md "Corrections that are not reversals").
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Amendment {
    pub contract_no: String,
    pub date: NaiveDate,
    pub supplier_name: String,
    /// May be negative; zero only in a correction of the class.
    pub delta: Amount,
    pub reason: String,
    pub correction: Option<ClassCorrection>,
    /// The part as the ledger held it when this amendment was posted (filled in by the ledger, not
    /// given): what a correction moves, and the class a later amendment's change counts in. `None`
    /// for an amendment of a part never corrected (the part's own class then holds).
    pub before: Option<PartState>,
}

/// A part's corrected class: the new size, the new special status (`Some(None)`: none), or both.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ClassCorrection {
    pub size: Option<SupplierSize>,
    pub special: Option<Option<Special>>,
}

/// A supplier part's class and amount at a moment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PartState {
    pub size: SupplierSize,
    pub special: Option<Special>,
    pub amount: Amount,
}

impl Amendment {
    /// The part's class after this amendment, given its state before.
    pub fn class_after(&self, before: &PartState) -> (SupplierSize, Option<Special>) {
        match self.correction {
            Some(c) => (
                c.size.unwrap_or(before.size),
                c.special.unwrap_or(before.special),
            ),
            None => (before.size, before.special),
        }
    }

    /// The part's state after this amendment, given its state before.
    pub fn state_after(&self, before: &PartState) -> PartState {
        let (size, special) = self.class_after(before);
        PartState {
            size,
            special,
            amount: before.amount + self.delta,
        }
    }
}

/// Funds received (本年收入).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Receipt {
    pub voucher_no: String,
    pub date: NaiveDate,
    pub fund: Fund,
    pub code: FunctionCode,
    pub code_name: Option<String>,
    pub amount: Amount,
    pub bond_code: Option<String>,
    pub project_code: Option<String>,
    pub memo: String,
}

/// Money paid out (本年支出).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Payment {
    pub voucher_no: String,
    pub date: NaiveDate,
    pub fund: Fund,
    pub code: FunctionCode,
    pub code_name: Option<String>,
    pub expense_type: ExpenseType,
    pub amount: Amount,
    pub project_code: Option<String>,
    pub contract_no: Option<String>,
    pub bond_code: Option<String>,
    pub purpose: Purpose,
    pub payee: String,
    pub memo: String,
    /// 经济分类科目编码, if given.
    pub econ_code: Option<EconCode>,
}

/// An acceptance (验收) or delivery (交付) of a supplier's part: the day from which the unit owes the
/// amount (domain.md "The SME payment clock").
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Acceptance {
    pub contract_no: String,
    pub supplier_name: String,
    pub date: NaiveDate,
    pub basis: Basis,
    /// 应付金额: what falls due.
    pub amount: Amount,
    pub memo: String,
}

/// An opening balance (年初结转和结余) for a ledger started mid-life.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Opening {
    pub year: i32,
    pub fund: Fund,
    pub code: FunctionCode,
    pub code_name: Option<String>,
    pub amount: Amount,
    /// Why the given amount differs from the closing balance the ledger carries, if it does.
    pub adjust_reason: Option<AdjustReason>,
}

/// A name for a classification code the shipped catalogue lacks.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CatalogName {
    pub code: ClassCode,
    pub name: String,
}

/// A 红字冲销 of a posted receipt or payment, on its own date.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Reversal {
    pub voucher_no: String,
    pub date: NaiveDate,
    pub reason: String,
}

/// 结账: nothing may be posted dated on or before `through` afterwards.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PeriodClose {
    pub through: NaiveDate,
}

/// The unit's names as an entry of the chain: the first entry of every ledger, and each
/// `taizhang unit`. Reports name the unit by the newest one.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct UnitNaming {
    /// 1 for the first naming of the ledger, then 2, 3 …: the entry's key, so that two namings
    /// never collide (the same names may be given again later).
    pub number: u32,
    pub full: String,
    pub short: String,
    /// What the ledger's header says of its making, chained with the first naming.
    pub origin: Option<LedgerOrigin>,
}

/// The ledger's header, as far as it is chained: how its entries are hashed and when it was made.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct LedgerOrigin {
    /// "sm3" or "sha256".
    pub hash: String,
    /// RFC 3339, as the header writes it.
    pub created_at: String,
}

/// A person of the unit given (or changed in) a role of the web workspace, or disabled. Recorded in
/// the chain so that the auditor sees who could do what, and when; passwords and tokens are not here
/// (the store keeps their hashes outside the chain).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct UserChange {
    /// 1 for the ledger's first user change, then 2, 3 …: the entry's key (the same change may be
    /// made again later).
    pub number: u32,
    pub name: String,
    pub role: crate::Role,
    /// False: the user is disabled and can no longer log in or use a token.
    pub active: bool,
}

/// `taizhang settings`: how the ledger is to be worked. Chained, so that the auditor sees since when
/// four eyes were required, and who said so.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SettingChange {
    /// 1 for the ledger's first settings entry, then 2, 3 …: the entry's key.
    pub number: u32,
    /// On: an import, post or reverse waits as a pending batch until a checker approves it.
    pub require_approval: bool,
}

/// A checker's decision on a pending batch (审核). The checker is the entry's operator. An approval
/// is posted in the same batch as the entries it approves, just before them; a rejection posts
/// nothing else.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Review {
    /// The pending batch's number: the entry's key (a batch is decided once).
    pub batch: u64,
    /// Who made the batch (制单).
    pub maker: String,
    pub approved: bool,
    /// Why it was rejected; empty for an approval.
    pub reason: String,
    /// How many entries the approval posts, right after this one.
    pub entries: u64,
    /// The batch's files as the maker gave them: "name sha256:… size" lines, or what was typed.
    pub files: Vec<String>,
}

/// A document (原始凭证) attached to an entry: its bytes are stored content-addressed beside the
/// chain, under the chain's hash of them. The uploader is the entry's operator.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct AttachmentNote {
    /// The seq of the entry the document belongs to.
    pub target: u64,
    /// The file's name as uploaded.
    pub name: String,
    pub size: u64,
    /// The bytes' hash by the ledger's algorithm (SM3 or SHA-256), lowercase hex.
    pub hash: String,
}

/// Any entry the ledger holds.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Body {
    Bond(BondAllocation),
    Contract(ContractPart),
    Amendment(Amendment),
    Receipt(Receipt),
    Payment(Payment),
    Opening(Opening),
    Catalog(CatalogName),
    Reversal(Reversal),
    Close(PeriodClose),
    Unit(UnitNaming),
    User(UserChange),
    Acceptance(Acceptance),
    Setting(SettingChange),
    Review(Review),
    Attachment(AttachmentNote),
}

/// The kinds of entry, in the order a batch posts them so that references resolve.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    Catalog,
    Bond,
    Contract,
    Amendment,
    Acceptance,
    Opening,
    Receipt,
    Payment,
    Reversal,
    Close,
    Unit,
    User,
    Setting,
    Review,
    Attachment,
}

impl Kind {
    pub const ALL: [Kind; 15] = [
        Kind::Catalog,
        Kind::Bond,
        Kind::Contract,
        Kind::Amendment,
        Kind::Acceptance,
        Kind::Opening,
        Kind::Receipt,
        Kind::Payment,
        Kind::Reversal,
        Kind::Close,
        Kind::Unit,
        Kind::User,
        Kind::Setting,
        Kind::Review,
        Kind::Attachment,
    ];

    /// The English key: file kinds, `--kind`, `post KIND` and the log's JSON use it.
    pub fn key(self) -> &'static str {
        match self {
            Kind::Catalog => "catalog",
            Kind::Bond => "bond",
            Kind::Contract => "contract",
            Kind::Amendment => "amendment",
            Kind::Acceptance => "acceptance",
            Kind::Opening => "opening",
            Kind::Receipt => "receipt",
            Kind::Payment => "payment",
            Kind::Reversal => "reversal",
            Kind::Close => "close",
            Kind::Unit => "unit",
            Kind::User => "user",
            Kind::Setting => "setting",
            Kind::Review => "review",
            Kind::Attachment => "attachment",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Kind::Catalog => "科目名称",
            Kind::Bond => "债券分配",
            Kind::Contract => "合同",
            Kind::Amendment => "补充协议",
            Kind::Acceptance => "验收",
            Kind::Opening => "年初结转和结余",
            Kind::Receipt => "收入",
            Kind::Payment => "支出",
            Kind::Reversal => "冲销",
            Kind::Close => "结账",
            Kind::Unit => "单位名称",
            Kind::User => "用户",
            Kind::Setting => "设置",
            Kind::Review => "审核",
            Kind::Attachment => "附件",
        }
    }

    pub fn parse(word: &str) -> Option<Kind> {
        let word = word.trim().trim_end_matches('s');
        Kind::ALL
            .into_iter()
            .find(|k| k.key() == word || k.label() == word)
    }
}

/// What identifies an entry for idempotency: posting the same key twice with the same content is
/// skipped, with different content refused.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum EntryKey {
    Voucher(String),
    ContractPart {
        contract_no: String,
        supplier: String,
    },
    Amendment {
        contract_no: String,
        date: NaiveDate,
        supplier: String,
    },
    Bond {
        code: String,
        project: String,
    },
    Opening {
        year: i32,
        fund: Fund,
        code: FunctionCode,
    },
    Catalog(ClassCode),
    Reversal(String),
    Close(NaiveDate),
    /// The `number`th naming of the unit.
    Unit(u32),
    /// The `number`th user change.
    User(u32),
    /// The `number`th settings entry.
    Setting(u32),
    /// The decision on pending batch `n`.
    Review(u64),
    /// A document (by its hash) attached to the entry `target`.
    Attachment {
        target: u64,
        hash: String,
    },
    Acceptance {
        contract_no: String,
        supplier: String,
        date: NaiveDate,
    },
}

impl Body {
    pub fn kind(&self) -> Kind {
        match self {
            Body::Bond(_) => Kind::Bond,
            Body::Contract(_) => Kind::Contract,
            Body::Amendment(_) => Kind::Amendment,
            Body::Receipt(_) => Kind::Receipt,
            Body::Payment(_) => Kind::Payment,
            Body::Opening(_) => Kind::Opening,
            Body::Catalog(_) => Kind::Catalog,
            Body::Reversal(_) => Kind::Reversal,
            Body::Close(_) => Kind::Close,
            Body::Unit(_) => Kind::Unit,
            Body::User(_) => Kind::User,
            Body::Setting(_) => Kind::Setting,
            Body::Review(_) => Kind::Review,
            Body::Attachment(_) => Kind::Attachment,
            Body::Acceptance(_) => Kind::Acceptance,
        }
    }

    pub fn key(&self) -> EntryKey {
        match self {
            Body::Bond(b) => EntryKey::Bond {
                code: b.terms.code.clone(),
                project: b.project_code.clone(),
            },
            Body::Contract(c) => EntryKey::ContractPart {
                contract_no: c.terms.no.clone(),
                supplier: c.part.name.clone(),
            },
            Body::Amendment(a) => EntryKey::Amendment {
                contract_no: a.contract_no.clone(),
                date: a.date,
                supplier: a.supplier_name.clone(),
            },
            Body::Receipt(r) => EntryKey::Voucher(r.voucher_no.clone()),
            Body::Payment(p) => EntryKey::Voucher(p.voucher_no.clone()),
            Body::Opening(o) => EntryKey::Opening {
                year: o.year,
                fund: o.fund,
                code: o.code,
            },
            Body::Catalog(c) => EntryKey::Catalog(c.code),
            Body::Reversal(r) => EntryKey::Reversal(r.voucher_no.clone()),
            Body::Close(c) => EntryKey::Close(c.through),
            Body::Unit(u) => EntryKey::Unit(u.number),
            Body::User(u) => EntryKey::User(u.number),
            Body::Setting(s) => EntryKey::Setting(s.number),
            Body::Review(r) => EntryKey::Review(r.batch),
            Body::Attachment(a) => EntryKey::Attachment {
                target: a.target,
                hash: a.hash.clone(),
            },
            Body::Acceptance(a) => EntryKey::Acceptance {
                contract_no: a.contract_no.clone(),
                supplier: a.supplier_name.clone(),
                date: a.date,
            },
        }
    }

    /// The date that counts for period locks; `None` for undated entries (catalogue names, the
    /// unit's names, users).
    pub fn period_date(&self) -> Option<NaiveDate> {
        match self {
            Body::Bond(b) => Some(b.terms.issue_date),
            Body::Contract(c) => Some(c.terms.sign_date),
            Body::Amendment(a) => Some(a.date),
            Body::Receipt(r) => Some(r.date),
            Body::Payment(p) => Some(p.date),
            Body::Opening(o) => NaiveDate::from_ymd_opt(o.year, 1, 1),
            Body::Reversal(r) => Some(r.date),
            Body::Acceptance(a) => Some(a.date),
            Body::Catalog(_)
            | Body::Close(_)
            | Body::Unit(_)
            | Body::User(_)
            | Body::Setting(_)
            | Body::Review(_)
            | Body::Attachment(_) => None,
        }
    }

    /// The entry this one refers to and cannot be understood without: a reversal's receipt or
    /// payment, an amendment's contract part.
    pub fn refers_to(&self) -> Option<EntryKey> {
        match self {
            Body::Reversal(r) => Some(EntryKey::Voucher(r.voucher_no.clone())),
            Body::Amendment(a) => Some(EntryKey::ContractPart {
                contract_no: a.contract_no.clone(),
                supplier: a.supplier_name.clone(),
            }),
            Body::Acceptance(a) => Some(EntryKey::ContractPart {
                contract_no: a.contract_no.clone(),
                supplier: a.supplier_name.clone(),
            }),
            _ => None,
        }
    }

    /// The column that names this entry in messages (its key's first column).
    pub fn key_column(&self) -> &'static str {
        match self {
            Body::Bond(_) => "bond_code",
            Body::Contract(_) | Body::Amendment(_) | Body::Acceptance(_) => "contract_no",
            Body::Receipt(_) | Body::Payment(_) | Body::Reversal(_) => "voucher_no",
            Body::Opening(_) => "function_code",
            Body::Catalog(_) => "code",
            Body::Close(_) => "through",
            Body::Unit(_) | Body::User(_) | Body::Attachment(_) => "name",
            Body::Setting(_) => "require_approval",
            Body::Review(_) => "batch",
        }
    }
}

impl EntryKey {
    /// How the key reads in a message: "凭证号 J-001".
    pub fn describe(&self) -> String {
        match self {
            EntryKey::Voucher(v) => format!("凭证号 {v}"),
            EntryKey::ContractPart {
                contract_no,
                supplier,
            } => format!("合同 {contract_no} 供应商 {supplier}"),
            EntryKey::Amendment {
                contract_no,
                date,
                supplier,
            } => format!("合同 {contract_no} 供应商 {supplier} {date} 的补充协议"),
            EntryKey::Bond { code, project } => format!("债券 {code} 项目 {project}"),
            EntryKey::Opening { year, fund, code } => {
                format!("{year}年 {fund} {code} 的年初结转和结余")
            }
            EntryKey::Catalog(code) => format!("科目 {code}"),
            EntryKey::Reversal(v) => format!("凭证号 {v} 的冲销"),
            EntryKey::Close(d) => format!("结账至 {d}"),
            EntryKey::Unit(n) => format!("第 {n} 次单位名称"),
            EntryKey::User(n) => format!("第 {n} 次用户变更"),
            EntryKey::Setting(n) => format!("第 {n} 次设置"),
            EntryKey::Review(n) => format!("待审批次 {n} 的审核"),
            EntryKey::Attachment { target, hash } => {
                let short: String = hash.chars().take(12).collect();
                format!("第 {target} 条的附件 {short}…")
            }
            EntryKey::Acceptance {
                contract_no,
                supplier,
                date,
            } => format!("合同 {contract_no} 供应商 {supplier} {date} 的验收"),
        }
    }
}
