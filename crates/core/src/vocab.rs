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

vocabulary!(
    /// 行业 for enterprise size classification (工信部联企业〔2011〕300号), the ones domain.md lists.
    Industry, "行业" {
        Industrial = ("工业", "industrial"),
        Construction = ("建筑业", "construction"),
        Wholesale = ("批发业", "wholesale"),
        Retail = ("零售业", "retail"),
        Software = ("软件和信息技术服务业", "software"),
        Leasing = ("租赁和商务服务业", "leasing"),
        Other = ("其他未列明行业", "other"),
    }
);

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
    fn special_entities_count_as_small_micro() {
        assert_eq!(
            SmeClass::of(SupplierSize::Large, Some(Special::Prison)),
            SmeClass::SmallMicro
        );
        assert_eq!(SmeClass::of(SupplierSize::Medium, None), SmeClass::Medium);
        assert!(!SmeClass::of(SupplierSize::Large, None).is_sme());
    }
}
