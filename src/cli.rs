//! The command line as parsed: what the user typed, nothing done yet.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Parser, Debug)]
#[command(
    name = "taizhang",
    version,
    about = "专项债与政府采购项目台账：记账、季度专项债券使用情况、年终部门决算表7与政府采购支出情况"
)]
#[command(
    after_help = "示例：\n  taizhang init --unit 武汉市青山区大数据中心 --short-name 青山区大数据中心\n  taizhang import ledger-data/qingshan-2022/\n  taizhang report table7 --year 2022"
)]
pub struct Cli {
    /// 台账文件路径（默认取环境变量 TAIZHANG_LEDGER，否则 ./taizhang.ledger）
    #[arg(
        long,
        global = true,
        env = "TAIZHANG_LEDGER",
        default_value = "taizhang.ledger"
    )]
    pub ledger: PathBuf,
    /// 不打印进度和汇总（拒绝原因照常打印）
    #[arg(long, short, global = true)]
    pub quiet: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// 新建台账（文件已存在则拒绝）
    #[command(
        after_help = "示例：taizhang init --unit 武汉市青山区大数据中心 --short-name 青山区大数据中心"
    )]
    Init {
        /// 单位全称（表格用）
        #[arg(long, default_value = "本单位")]
        unit: String,
        /// 单位简称（文字说明用，默认同全称）
        #[arg(long)]
        short_name: Option<String>,
        /// 哈希链算法：sm3（默认）或 sha256
        #[arg(long, default_value = "sm3")]
        hash: String,
    },
    /// 导入 CSV 文件或文件夹：一次导入为一个整体，任何一行有错则全部不记账
    #[command(
        after_help = "示例：taizhang import 合同.csv 支出.csv\n      taizhang import ledger-data/qingshan-2022/ --operator 张会计"
    )]
    Import {
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// 文件种类（默认由表头识别）：catalog bond contract amendment opening receipt payment
        #[arg(long)]
        kind: Option<String>,
        #[command(flatten)]
        who: Who,
        /// 中小企业声明函数据与声明规模不符时拒绝（默认仅警告）
        #[arg(long)]
        strict: bool,
    },
    /// 逐笔记账：一行导入文件的内容写成选项
    #[command(
        after_help = "示例：taizhang post payment --voucher-no 记-2023-015 --date 2023-03-15 --fund 政府性基金预算 \\\n        --function-code 2290402 --expense-type 项目支出 --amount 120000 --payee 某公司"
    )]
    Post {
        /// 种类：receipt payment contract amendment bond opening catalog
        kind: String,
        /// 各列，形如 --voucher-no 值
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        fields: Vec<String>,
        #[command(flatten)]
        who: Who,
        #[arg(long)]
        strict: bool,
    },
    /// 红字冲销一笔已记账的收入或支出
    #[command(
        after_help = "示例：taizhang reverse --voucher 记-2022-101 --date 2023-01-10 --reason 金额录入错误"
    )]
    Reverse {
        #[arg(long)]
        voucher: String,
        #[arg(long)]
        date: String,
        #[arg(long)]
        reason: String,
        #[command(flatten)]
        who: Who,
    },
    /// 结账：此日（含）以前不能再记账
    #[command(after_help = "示例：taizhang close --through 2022-12-31")]
    Close {
        #[arg(long)]
        through: String,
        #[command(flatten)]
        who: Who,
    },
    /// 列出记录
    #[command(after_help = "示例：taizhang log --from 100 --format json > 记录.jsonl")]
    Log {
        #[arg(long, default_value_t = 1)]
        from: u64,
        #[arg(long, value_enum, default_value = "table")]
        format: LogFormat,
    },
    /// 校验哈希链与全部不变量，打印链头哈希与记录数
    #[command(
        after_help = "示例：taizhang verify --expect-head 3f2a…（导出清单 manifest.json 中记录的链头）"
    )]
    Verify {
        #[arg(long)]
        expect_head: Option<String>,
    },
    /// 报表
    #[command(subcommand)]
    Report(Report),
    /// 专项债券
    #[command(subcommand)]
    Bond(BondCommand),
    /// 按工信部联企业〔2011〕300号划型
    #[command(
        after_help = "示例：taizhang classify --industry 软件和信息技术服务业 --people 120 --revenue 3000"
    )]
    Classify {
        #[arg(long)]
        industry: String,
        #[arg(long)]
        people: Option<u64>,
        /// 营业收入（万元）
        #[arg(long)]
        revenue: Option<String>,
        /// 资产总额（万元）
        #[arg(long)]
        assets: Option<String>,
    },
    /// 导出年终全部报表（CSV 与 xlsx）及清单 manifest.json
    #[command(after_help = "示例：taizhang export --year 2022 --out 决算2022")]
    Export {
        #[arg(long, value_parser = year)]
        year: i32,
        #[arg(long)]
        out: PathBuf,
    },
    /// 备份台账文件（一致的副本）
    #[command(after_help = "示例：taizhang backup --out 备份/2022年末.ledger")]
    Backup {
        #[arg(long)]
        out: PathBuf,
    },
    /// 把全部记录（含哈希）写成 JSON Lines 归档
    #[command(after_help = "示例：taizhang archive --out 归档/2022.jsonl")]
    Archive {
        #[arg(long)]
        out: PathBuf,
    },
    /// 由归档重建新台账（任何哈希不符则拒绝）
    #[command(after_help = "示例：taizhang --ledger 新.ledger restore 归档.jsonl")]
    Restore { file: PathBuf },
    /// 生成命令补全脚本
    #[command(after_help = "示例：taizhang completions bash > /etc/bash_completion.d/taizhang")]
    Completions { shell: clap_complete::Shell },
    /// 用随附示例（青山区大数据中心 2022 年）演示全部流程，无需准备
    #[command(after_help = "示例：taizhang demo")]
    Demo,
}

#[derive(Args, Debug)]
pub struct Who {
    /// 操作员（默认取系统用户名）
    #[arg(long)]
    pub operator: Option<String>,
}

#[derive(Subcommand, Debug)]
pub enum Report {
    /// 政府性基金预算财政拨款收入支出决算表（表7）
    #[command(after_help = "示例：taizhang report table7 --year 2022 --format text")]
    Table7 {
        #[arg(long, value_parser = year)]
        year: i32,
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
    /// 政府采购支出情况
    #[command(
        after_help = "示例：taizhang report procurement --year 2022 --format text --small-micro-share-of total"
    )]
    Procurement {
        #[arg(long, value_parser = year)]
        year: i32,
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
        /// 小微企业金额的占比口径：sme（占中小企业，默认）或 total（占总额）
        #[arg(long, value_enum, default_value = "sme")]
        small_micro_share_of: ShareOf,
    },
    /// 专项债券资金使用情况（季度）
    #[command(after_help = "示例：taizhang report bond-use --quarter 2023Q2")]
    BondUse {
        #[arg(long)]
        quarter: String,
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
    /// 合同执行情况：合同金额（含补充协议）、累计支付、未付
    #[command(after_help = "示例：taizhang report contracts --year 2023 --format csv > 合同.csv")]
    Contracts {
        #[arg(long, value_parser = year)]
        year: i32,
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
}

#[derive(Subcommand, Debug)]
pub enum BondCommand {
    /// 还本付息计划（本单位全部分配额）
    #[command(after_help = "示例：taizhang bond schedule 2205187")]
    Schedule {
        code: String,
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
}

/// A `--year`: four digits within the years the ledger accepts (`taizhang_core::period`), so that
/// `--year 24` is refused rather than read as the year 24.
fn year(text: &str) -> Result<i32, String> {
    let year = text
        .trim()
        .parse::<i32>()
        .map_err(|_| format!("“{text}”不是年份（应如 2023）"))?;
    taizhang_core::period::check_year(year, text)
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Table,
    Json,
    Csv,
    /// 文字说明（表7与政府采购）
    Text,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    Table,
    Json,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShareOf {
    Sme,
    Total,
}
