//! The closed vocabularies of the domain: funds, expense types, purposes, procurement categories and
//! methods, supplier sizes and special statuses, coupon frequencies, industries.
//!
//! Each word is accepted in Chinese or as its English key (interchange.md), and always shown in Chinese.

/// Declares an enumeration with its Chinese label and English key, and the parsing both ways.
macro_rules! vocabulary {
    ($(#[$doc:meta])* $name:ident, $what:literal { $($variant:ident = ($label:literal, $key:literal)),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The Chinese word, as tables and messages show it.
            pub fn label(self) -> &'static str {
                match self { $($name::$variant => $label),+ }
            }

            /// The English key, as JSON and the import files' English spelling use it.
            pub fn key(self) -> &'static str {
                match self { $($name::$variant => $key),+ }
            }

            /// Parses the Chinese word or the English key.
            pub fn parse(word: &str) -> Result<$name, String> {
                let word = word.trim();
                $name::ALL
                    .iter()
                    .copied()
                    .find(|v| v.label() == word || v.key().eq_ignore_ascii_case(word))
                    .ok_or_else(|| {
                        let choices: Vec<&str> = $name::ALL.iter().map(|v| v.label()).collect();
                        format!("“{}”不是{}（可选：{}）", word, $what, choices.join("、"))
                    })
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.label())
            }
        }
    };
}

vocabulary!(
    /// 资金性质: where the money comes from.
    Fund, "资金性质" {
        General = ("一般公共预算", "general"),
        GovFund = ("政府性基金预算", "gov_fund"),
        StateCapital = ("国有资本经营预算", "state_capital"),
        Other = ("其他", "other"),
    }
);

vocabulary!(
    /// 支出类型.
    ExpenseType, "支出类型" {
        Basic = ("基本支出", "basic"),
        Project = ("项目支出", "project"),
    }
);

vocabulary!(
    /// 依据 of an acceptance: what starts the SME payment clock (delivery, or inspection and
    /// acceptance where that is the contract's payment condition).
    Basis, "依据" {
        Delivery = ("交付", "delivery"),
        Acceptance = ("验收", "acceptance"),
    }
);

vocabulary!(
    /// 用途 of a payment; bond reports group by it.
    Purpose, "用途" {
        Construction = ("建设", "construction"),
        Interest = ("付息", "interest"),
        IssueFee = ("发行费", "issue_fee"),
        Other = ("其他", "other"),
    }
);

vocabulary!(
    /// 采购类别. Declared in the order the procurement paragraph names them.
    Category, "采购类别" {
        Goods = ("货物", "goods"),
        Works = ("工程", "works"),
        Services = ("服务", "services"),
    }
);

vocabulary!(
    /// 采购方式.
    Method, "采购方式" {
        Open = ("公开招标", "open"),
        Invited = ("邀请招标", "invited"),
        Negotiation = ("竞争性谈判", "negotiation"),
        Consultation = ("竞争性磋商", "consultation"),
        Single = ("单一来源", "single"),
        Inquiry = ("询价", "inquiry"),
        Framework = ("框架协议", "framework"),
        Other = ("其他", "other"),
    }
);

vocabulary!(
    /// 企业规模 as the supplier declares it.
    SupplierSize, "企业规模" {
        Large = ("大型", "large"),
        Medium = ("中型", "medium"),
        Small = ("小型", "small"),
        Micro = ("微型", "micro"),
    }
);

vocabulary!(
    /// 特殊主体: counted as small/micro whatever their size (财库〔2020〕46号).
    Special, "特殊主体" {
        Prison = ("监狱企业", "prison"),
        DisabledWelfare = ("残疾人福利性单位", "disabled_welfare"),
    }
);

vocabulary!(
    /// 付息频率.
    Frequency, "付息频率" {
        Annual = ("按年", "annual"),
        SemiAnnual = ("按半年", "semiannual"),
    }
);

/// 行业 for enterprise size classification: the sixteen of 工信部联企业〔2011〕300号 (第四条), in the
/// standard's order. Not declared with `vocabulary!` because it also accepts the standard's spelling
/// without the 顿号 (农林牧渔业) and its refusal lists the sixteen one per item, so that a declaration
/// naming an industry in other words (保洁服务) is answered with the words to pick from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Industry {
    Agriculture,
    Industrial,
    Construction,
    Wholesale,
    Retail,
    Transport,
    Warehousing,
    Postal,
    Accommodation,
    Catering,
    InfoTransmission,
    Software,
    RealEstate,
    PropertyManagement,
    Leasing,
    Other,
}

impl Industry {
    pub const ALL: &'static [Industry] = &[
        Industry::Agriculture,
        Industry::Industrial,
        Industry::Construction,
        Industry::Wholesale,
        Industry::Retail,
        Industry::Transport,
        Industry::Warehousing,
        Industry::Postal,
        Industry::Accommodation,
        Industry::Catering,
        Industry::InfoTransmission,
        Industry::Software,
        Industry::RealEstate,
        Industry::PropertyManagement,
        Industry::Leasing,
        Industry::Other,
    ];

    /// The Chinese word, as the standard writes it.
    pub fn label(self) -> &'static str {
        match self {
            Industry::Agriculture => "农、林、牧、渔业",
            Industry::Industrial => "工业",
            Industry::Construction => "建筑业",
            Industry::Wholesale => "批发业",
            Industry::Retail => "零售业",
            Industry::Transport => "交通运输业",
            Industry::Warehousing => "仓储业",
            Industry::Postal => "邮政业",
            Industry::Accommodation => "住宿业",
            Industry::Catering => "餐饮业",
            Industry::InfoTransmission => "信息传输业",
            Industry::Software => "软件和信息技术服务业",
            Industry::RealEstate => "房地产开发经营",
            Industry::PropertyManagement => "物业管理",
            Industry::Leasing => "租赁和商务服务业",
            Industry::Other => "其他未列明行业",
        }
    }

    /// The English key, as JSON and the import files' English spelling use it.
    pub fn key(self) -> &'static str {
        match self {
            Industry::Agriculture => "agriculture",
            Industry::Industrial => "industrial",
            Industry::Construction => "construction",
            Industry::Wholesale => "wholesale",
            Industry::Retail => "retail",
            Industry::Transport => "transport",
            Industry::Warehousing => "warehousing",
            Industry::Postal => "postal",
            Industry::Accommodation => "accommodation",
            Industry::Catering => "catering",
            Industry::InfoTransmission => "info_transmission",
            Industry::Software => "software",
            Industry::RealEstate => "real_estate",
            Industry::PropertyManagement => "property_management",
            Industry::Leasing => "leasing",
            Industry::Other => "other",
        }
    }

    /// Parses the Chinese word (with or without the 顿号 the standard puts in 农、林、牧、渔业) or the
    /// English key; anything else is refused with the sixteen to choose from.
    pub fn parse(word: &str) -> Result<Industry, String> {
        let word = word.trim();
        let bare = |s: &str| s.replace('、', "");
        Industry::ALL
            .iter()
            .copied()
            .find(|v| bare(v.label()) == bare(word) || v.key().eq_ignore_ascii_case(word))
            .ok_or_else(|| {
                let choices: Vec<String> = Industry::ALL
                    .iter()
                    .map(|v| format!("{}（{}）", v.label(), v.key()))
                    .collect();
                format!(
                    "“{word}”不是工信部联企业〔2011〕300号所列的行业，请从以下十六个中选一个（如保洁服务归物业管理）：{}",
                    choices.join("；")
                )
            })
    }
}

impl std::fmt::Display for Industry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.label())
    }
}

vocabulary!(
    /// 调整原因 of a restated opening balance (年初结转和结余调整, domain.md "Table 7").
    AdjustReason, "调整原因" {
        Correction = ("会计差错更正", "correction"),
        Recovery = ("收回以前年度支出", "recovery"),
        TransferIn = ("归集调入", "transfer_in"),
        TransferOut = ("归集调出", "transfer_out"),
        Remit = ("归集上缴", "remit"),
        Internal = ("单位内部调剂", "internal"),
        Other = ("其他", "other"),
    }
);

vocabulary!(
    /// A person's role in the web workspace (interchange.md "HTTP API"): viewer and auditor read;
    /// maker imports, posts, reverses; checker approves; admin manages users, settings and closing.
    Role, "角色" {
        Admin = ("管理员", "admin"),
        Maker = ("制单", "maker"),
        Checker = ("审核", "checker"),
        Auditor = ("审计", "auditor"),
        Viewer = ("查看", "viewer"),
    }
);

/// What a request may do; each role holds some.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Right {
    /// Every report, entry and download.
    Read,
    /// Import, post, reverse.
    Post,
    /// Approve or reject a pending batch.
    Approve,
    /// Users, settings, closing periods.
    Administer,
}

impl Role {
    /// Whether this role holds the right. Everyone reads; an admin does not post (the one who
    /// manages the accounts is not the one who books entries) unless also given a maker's account.
    pub fn can(self, right: Right) -> bool {
        match right {
            Right::Read => true,
            Right::Post => self == Role::Maker,
            Right::Approve => self == Role::Checker,
            Right::Administer => self == Role::Admin,
        }
    }
}

impl Frequency {
    /// Coupons a year.
    pub fn per_year(self) -> u32 {
        match self {
            Frequency::Annual => 1,
            Frequency::SemiAnnual => 2,
        }
    }
}

/// How a supplier part counts in the SME ratios.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SmeClass {
    /// 大型 and not a special entity.
    Large,
    /// 中型 and not a special entity: SME but not small/micro.
    Medium,
    /// 小型, 微型, or a special entity of any size.
    SmallMicro,
}

impl SmeClass {
    pub fn of(size: SupplierSize, special: Option<Special>) -> SmeClass {
        match (size, special) {
            (_, Some(_)) | (SupplierSize::Small | SupplierSize::Micro, None) => {
                SmeClass::SmallMicro
            }
            (SupplierSize::Medium, None) => SmeClass::Medium,
            (SupplierSize::Large, None) => SmeClass::Large,
        }
    }

    pub fn is_sme(self) -> bool {
        self != SmeClass::Large
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_parse_in_both_languages() {
        assert_eq!(Fund::parse("政府性基金预算"), Ok(Fund::GovFund));
        assert_eq!(Fund::parse("gov_fund"), Ok(Fund::GovFund));
        assert_eq!(Purpose::parse("发行费"), Ok(Purpose::IssueFee));
        assert!(Method::parse("公开竞价").unwrap_err().contains("公开招标"));
    }

    #[test]
    fn sixteen_industries_parse_and_an_unknown_one_lists_them() {
        assert_eq!(Industry::ALL.len(), 16);
        for &industry in Industry::ALL {
            assert_eq!(Industry::parse(industry.label()), Ok(industry));
            assert_eq!(Industry::parse(industry.key()), Ok(industry));
        }
        assert_eq!(Industry::parse("农林牧渔业"), Ok(Industry::Agriculture));
        let refusal = Industry::parse("保洁服务").unwrap_err();
        for &industry in Industry::ALL {
            assert!(refusal.contains(industry.label()), "{refusal}");
        }
    }

    #[test]
    fn special_entities_count_as_small_micro() {
        assert_eq!(
            SmeClass::of(SupplierSize::Large, Some(Special::Prison)),
            SmeClass::SmallMicro
        );
        assert_eq!(SmeClass::of(SupplierSize::Medium, None), SmeClass::Medium);
        assert!(!SmeClass::of(SupplierSize::Large, None).is_sme());
    }
}
