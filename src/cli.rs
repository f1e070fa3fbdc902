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
    /// 记录单位名称（记入哈希链，此后的报表用新名称）
    #[command(
        after_help = "示例：taizhang unit --name 武汉市青山区大数据中心 --short-name 青山区大数据中心"
    )]
    Unit {
        /// 单位全称（表格用）
        #[arg(long)]
        name: String,
        /// 单位简称（文字说明用，默认同全称）
        #[arg(long)]
        short_name: Option<String>,
        #[command(flatten)]
        who: Who,
    },
    /// 导入 CSV 文件或文件夹：一次导入为一个整体，任何一行有错则全部不记账
    #[command(
        after_help = "示例：taizhang import 合同.csv 支出.csv\n      taizhang import ledger-data/qingshan-2022/ --operator 张会计"
    )]
    Import {
        /// 要导入的 CSV 文件或文件夹（文件夹里的全部文件按依赖顺序导入）；各种文件的列见 docs/formats.md
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// 文件种类（默认由表头识别）：catalog bond contract amendment opening receipt payment
        #[arg(long)]
        kind: Option<String>,
        #[command(flatten)]
        who: Who,
        /// 有警告（超付、债券资金超分配或超到位、早于起息日、年初数调整未填原因、声明规模不符、中小企业款项逾期支付）时拒绝整批（默认仅警告）
        #[arg(long)]
        strict: bool,
        /// 只检查、不记账：做全部检查，报告将记账的条数或全部问题，台账不作改动
        #[arg(long)]
        check: bool,
    },
    /// 逐笔记账：一行导入文件的内容写成选项
    #[command(
        disable_help_flag = true,
        after_help = "各种类的列：taizhang post 种类 --help（如 taizhang post payment --help）\n示例：taizhang post payment --voucher-no 记-2023-015 --date 2023-03-15 --fund 政府性基金预算 \\\n        --function-code 2290402 --expense-type 项目支出 --amount 120000 --payee 某公司"
    )]
    Post {
        /// 种类：receipt payment contract amendment bond opening catalog
        kind: Option<String>,
        /// 各列，形如 --voucher-no 值（列名的下划线换成短横）
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        fields: Vec<String>,
        #[command(flatten)]
        who: Who,
        /// 有警告（超付、债券资金超分配或超到位、早于起息日、年初数调整未填原因、声明规模不符、中小企业款项逾期支付）时拒绝（默认仅警告）
        #[arg(long)]
        strict: bool,
        /// 打印帮助；写在种类之后则列出该种类的各列（中文列名、是否必填、可选值）
        #[arg(short, long)]
        help: bool,
    },
    /// 红字冲销一笔已记账的收入或支出
    #[command(
        after_help = "示例：taizhang reverse --voucher 记-2022-101 --date 2023-01-10 --reason 金额录入错误"
    )]
    Reverse {
        /// 要冲销的收入或支出的凭证号
        #[arg(long)]
        voucher: String,
        /// 冲销日期（记在此日所在的期间），如 2023-01-05
        #[arg(long)]
        date: String,
        /// 冲销原因
        #[arg(long)]
        reason: String,
        #[command(flatten)]
        who: Who,
    },
    /// 结账：此日（含）以前不能再记账
    #[command(after_help = "示例：taizhang close --through 2022-12-31")]
    Close {
        /// 结账日（含），如 2022-12-31
        #[arg(long)]
        through: String,
        #[command(flatten)]
        who: Who,
    },
    /// 列出台账中需要注意的情况：超付、债券资金超分配或超到位、早于起息日的债券支付、声明规模不符，以及 N 天内到期的中小企业应付款
    #[command(after_help = "示例：taizhang check\n      taizhang check --days 15 --format json")]
    Check {
        /// 列出今天起多少天内到期、尚未付清的中小企业应付款（默认 7）
        #[arg(long, default_value_t = 7)]
        days: u32,
        /// 输出格式：table（默认）或 json
        #[arg(long, value_enum, default_value = "table")]
        format: LogFormat,
    },
    /// 查看一张凭证（含冲销）或一份合同（含各供应商分配、补充协议、支付）的全部内容、来源与哈希
    #[command(
        after_help = "示例：taizhang show 付-2022-003\n      taizhang show QS-2022-001 --format json"
    )]
    Show {
        /// 凭证号或合同编号
        name: String,
        /// 输出格式：table（默认）或 json
        #[arg(long, value_enum, default_value = "table")]
        format: LogFormat,
    },
    /// 给一条记录附加原始凭证（合同、验收单、发票的扫描件等；记入哈希链，文件内容存入台账）
    #[command(
        after_help = "示例：taizhang attach 付-2022-003 发票.pdf\n      taizhang attach QS-2022-001 合同扫描件.pdf   （合同编号：附在合同的第一条供应商分配上）\n      taizhang attach '#57' 验收单.jpg   （#序号：任意一条可附加的记录）\n可附加的类型：pdf ofd jpg jpeg png tif tiff doc docx xls xlsx wps et txt csv zip，每个文件至多 32 MB。"
    )]
    Attach {
        /// 凭证号（收入或支出）、合同编号，或 #序号
        voucher: String,
        /// 要附加的文件
        file: PathBuf,
        #[command(flatten)]
        who: Who,
    },
    /// 列出记录
    #[command(after_help = "示例：taizhang log --from 100 --format json > 记录.jsonl")]
    Log {
        /// 从第几条记录开始列出
        #[arg(long, default_value_t = 1)]
        from: u64,
        /// 输出格式：table（表格，北京时间）或 json（JSON Lines，UTC，供脚本使用）
        #[arg(long, value_enum, default_value = "table")]
        format: LogFormat,
    },
    /// 校验哈希链与全部不变量，打印链头哈希与记录数
    #[command(
        after_help = "示例：taizhang verify --expect-head 3f2a…（导出清单 manifest.json 中记录的链头）"
    )]
    Verify {
        /// 期望的链头哈希（如导出清单 manifest.json 中记下的），不符则校验不通过
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
        /// 行业：工信部联企业〔2011〕300号所列十六个行业之一（如 物业管理、软件和信息技术服务业）
        #[arg(long)]
        industry: String,
        /// 从业人员（人）
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
        /// 年度，如 2022
        #[arg(long, value_parser = year)]
        year: i32,
        /// 导出到的文件夹（新建；已存在则拒绝，除非加 --force）
        #[arg(long)]
        out: PathBuf,
        /// 替换已有的导出文件夹（整个换新，不留旧文件）
        #[arg(long)]
        force: bool,
        /// CSV 文件的编码
        #[arg(long, value_enum, default_value = "utf8-bom")]
        csv_encoding: CsvEncoding,
    },
    /// 备份台账文件（一致的副本）
    #[command(after_help = "示例：taizhang backup --out 备份/2022年末.ledger")]
    Backup {
        /// 备份文件（新建；已存在则拒绝，除非加 --force）
        #[arg(long)]
        out: PathBuf,
        /// 替换已有的文件（台账文件本身永不替换）
        #[arg(long)]
        force: bool,
    },
    /// 把全部记录（含哈希）写成 JSON Lines 归档
    #[command(after_help = "示例：taizhang archive --out 归档/2022.jsonl")]
    Archive {
        /// 归档文件（新建；已存在则拒绝，除非加 --force）
        #[arg(long)]
        out: PathBuf,
        /// 替换已有的文件（台账文件本身永不替换）
        #[arg(long)]
        force: bool,
    },
    /// 由归档重建新台账（任何哈希不符则拒绝）
    #[command(after_help = "示例：taizhang --ledger 新.ledger restore 归档.jsonl")]
    Restore {
        /// 归档文件（taizhang archive 写成的 JSON Lines）
        file: PathBuf,
    },
    /// 生成命令补全脚本
    #[command(after_help = "示例：taizhang completions bash > /etc/bash_completion.d/taizhang")]
    Completions {
        /// 命令行外壳：bash、zsh、fish、elvish 或 powershell
        shell: clap_complete::Shell,
    },
    /// 用随附示例（青山区大数据中心 2022 年）演示全部流程，无需准备
    #[command(
        after_help = "示例：taizhang demo\n      taizhang demo --serve   （演示后在浏览器中打开网页工作台）"
    )]
    Demo {
        /// 演示后启动网页工作台（本机 127.0.0.1:8080），用演示台账和演示用户登录
        #[arg(long)]
        serve: bool,
        /// 网页工作台的监听地址（配合 --serve）
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: String,
    },
    /// 网页工作台：在浏览器中查看报表、追溯凭证、导入和记账（默认只在本机 127.0.0.1:8080 监听）
    #[command(
        after_help = "示例：taizhang serve\n      taizhang serve --listen 0.0.0.0:8443 --tls-cert 证书.pem --tls-key 私钥.pem\n先用 taizhang user add 添加用户。"
    )]
    Serve {
        /// 监听地址和端口
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: String,
        /// HTTPS 证书（PEM）；非本机地址须启用 HTTPS 或写明 --insecure-http
        #[arg(long, requires = "tls_key")]
        tls_cert: Option<PathBuf>,
        /// HTTPS 私钥（PEM）
        #[arg(long, requires = "tls_cert")]
        tls_key: Option<PathBuf>,
        /// 允许在非本机地址上用不加密的 HTTP（口令和台账以明文经过网络）
        #[arg(long)]
        insecure_http: bool,
    },
    /// 网页工作台的用户：添加、列出、停用、改口令、生成脚本令牌
    #[command(subcommand)]
    User(UserCommand),
    /// 台账的设置：入账是否须经审核（制单/审核分离）；不写选项则显示当前设置
    #[command(after_help = "示例：taizhang settings
      taizhang settings --require-approval on --operator 王管理")]
    Settings {
        /// 入账须经审核：on（导入、记账、冲销先成为待审批次，审核人在网页工作台批准后入账）或 off
        #[arg(long, value_parser = ["on", "off"])]
        require_approval: Option<String>,
        #[command(flatten)]
        who: Who,
    },
    /// 待审批次：列出等待审核的批次，或显示一个批次的内容（批准和退回在网页工作台由审核人操作）
    #[command(after_help = "示例：taizhang pending
      taizhang pending show 3")]
    Pending {
        #[command(subcommand)]
        command: Option<PendingCommand>,
        /// 输出格式：table（默认）或 json
        #[arg(long, value_enum, default_value = "table", global = true)]
        format: LogFormat,
    },
}

#[derive(Subcommand, Debug)]
pub enum PendingCommand {
    /// 显示一个待审批次：文件、各行、警告，以及批准后将改变的表7数字
    Show {
        /// 待审批次编号
        id: u64,
    },
}

#[derive(Subcommand, Debug)]
pub enum UserCommand {
    /// 添加用户，或改变已有用户的角色（记入哈希链；口令只存散列，不入链）
    #[command(
        after_help = "示例：taizhang user add 张会计 --role maker\n      echo '口令……' | taizhang user add 李审计 --role auditor --password-stdin"
    )]
    Add {
        /// 用户名
        name: String,
        /// 角色：admin（管理员）maker（制单）checker（审核）auditor（审计）viewer（查看）
        #[arg(long)]
        role: String,
        /// 从标准输入读口令（一行），而不是在终端上输入两次
        #[arg(long)]
        password_stdin: bool,
        #[command(flatten)]
        who: Who,
    },
    /// 列出用户、角色和状态
    List,
    /// 停用用户：不能再登录，令牌失效（记入哈希链）
    Disable {
        /// 用户名
        name: String,
        #[command(flatten)]
        who: Who,
    },
    /// 改口令（不入链）
    Passwd {
        /// 用户名
        name: String,
        /// 从标准输入读口令（一行）
        #[arg(long)]
        password_stdin: bool,
    },
    /// 生成一个新的脚本令牌（Authorization: Bearer 令牌），只显示这一次
    Token {
        /// 用户名
        name: String,
    },
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
        /// 年度，如 2022
        #[arg(long, value_parser = year)]
        year: i32,
        /// 输出格式：table（表格，万元）、csv（万元）、json（元，精确到分）或 text（文字说明）
        #[arg(long, value_enum, default_value = "table")]
        format: TextFormat,
    },
    /// 政府采购支出情况
    #[command(
        after_help = "示例：taizhang report procurement --year 2022 --format text --small-micro-share-of total"
    )]
    Procurement {
        /// 年度，如 2022
        #[arg(long, value_parser = year)]
        year: i32,
        /// 输出格式：table（表格，万元）、csv（万元）、json（元，精确到分）或 text（文字说明）
        #[arg(long, value_enum, default_value = "table")]
        format: TextFormat,
        /// 小微企业金额的占比口径：sme（占中小企业，默认）或 total（占总额）
        #[arg(long, value_enum, default_value = "sme")]
        small_micro_share_of: ShareOf,
    },
    /// 专项债券资金使用情况（季度）
    #[command(after_help = "示例：taizhang report bond-use --quarter 2023Q2")]
    BondUse {
        /// 季度，如 2023Q2
        #[arg(long)]
        quarter: String,
        /// 输出格式：table（表格，元）、csv（元）或 json（元）
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
    /// 年初结转和结余调整情况表：填报的年初数与上年结转数不同之处及调整原因
    #[command(
        after_help = "示例：taizhang report opening-adjustments --year 2023 --format csv > 调整.csv"
    )]
    OpeningAdjustments {
        /// 年度，如 2023
        #[arg(long, value_parser = year)]
        year: i32,
        /// 输出格式：table（表格，万元）、csv（万元）或 json（元，精确到分）
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
    /// 合同执行情况：合同金额（含补充协议）、累计支付、未付
    #[command(after_help = "示例：taizhang report contracts --year 2023 --format csv > 合同.csv")]
    Contracts {
        /// 年度（截至该年年末），如 2023
        #[arg(long, value_parser = year)]
        year: i32,
        /// 输出格式：table（表格，元）、csv（元）或 json（元）
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
    /// 中小企业款项支付期限：每次验收（交付）的到期日、已付、未付、逾期天数和逾期利息（《保障中小企业款项支付条例》）
    #[command(after_help = "示例：taizhang report payment-clock --as-of 2022-12-31")]
    PaymentClock {
        /// 截至日期，如 2022-12-31
        #[arg(long, value_parser = date)]
        as_of: chrono::NaiveDate,
        /// 输出格式：table（表格，元）、csv（元）或 json（元）
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
    /// 逾期未支付中小企业款项：年末仍未支付且已过到期日的合同份数和金额，及每年 3 月 31 日前公示的文字
    #[command(after_help = "示例：taizhang report overdue --year 2022 --format text")]
    Overdue {
        /// 年度（截至该年 12 月 31 日），如 2022
        #[arg(long, value_parser = year)]
        year: i32,
        /// 输出格式：table（表格，元）、csv（元）、json（元）或 text（公示文字）
        #[arg(long, value_enum, default_value = "table")]
        format: TextFormat,
    },
    /// 专项债券闲置资金：到账超过 N 天仍未支出的金额（先进先出）
    #[command(after_help = "示例：taizhang report idle-funds --as-of 2022-12-31 --days 60")]
    IdleFunds {
        /// 截至日期，如 2022-12-31
        #[arg(long, value_parser = date)]
        as_of: chrono::NaiveDate,
        /// 到账超过多少天未支出算闲置（默认 90；国家未规定统一标准）
        #[arg(long, default_value_t = taizhang_projection::idle::DEFAULT_DAYS)]
        days: u32,
        /// 输出格式：table（表格，元）、csv（元）或 json（元）
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
    /// 政府采购合规检查：合同公告逾期或未填、预留份额不足、预留小微企业比例不足、应预留未预留
    #[command(after_help = "示例：taizhang report procurement-checks --year 2022")]
    ProcurementChecks {
        /// 年度（该年签订的合同），如 2022
        #[arg(long, value_parser = year)]
        year: i32,
        /// 输出格式：table（表格）、csv 或 json
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
}

/// A `--as-of` date, in any of the spellings the import files take.
fn date(text: &str) -> Result<chrono::NaiveDate, String> {
    taizhang_core::parse_date(text)
}

#[derive(Subcommand, Debug)]
pub enum BondCommand {
    /// 还本付息计划（本单位全部分配额）
    #[command(after_help = "示例：taizhang bond schedule 2205187")]
    Schedule {
        /// 债券编码
        code: String,
        /// 输出格式：table（表格，元）、csv（元）或 json（元）
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

/// The forms of a report without running text (bond use, contracts, schedules): `text` is not
/// offered where it does not exist.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// 表格
    Table,
    /// JSON（金额为元，精确到分）
    Json,
    /// CSV（与表格相同的单元格）
    Csv,
}

/// The forms of table 7 and the procurement figures, which also have their paragraph.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum TextFormat {
    /// 表格
    Table,
    /// JSON（金额为元，精确到分）
    Json,
    /// CSV（与表格相同的单元格）
    Csv,
    /// 部门决算的文字说明
    Text,
}

/// How `export` writes its CSV files (the value help is what the user reads, so it is Chinese).
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum CsvEncoding {
    /// 带 BOM 的 UTF-8：中文 Windows 上的 Excel 直接打开不乱码
    Utf8Bom,
    /// GB18030：较旧的软件
    Gb18030,
    /// 不带 BOM 的 UTF-8
    Utf8,
}

impl From<Format> for TextFormat {
    fn from(format: Format) -> TextFormat {
        match format {
            Format::Table => TextFormat::Table,
            Format::Json => TextFormat::Json,
            Format::Csv => TextFormat::Csv,
        }
    }
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    /// 表格（记录时间为北京时间）
    Table,
    /// JSON Lines，每条记录一行（时间为 UTC）
    Json,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShareOf {
    /// 占授予中小企业合同金额
    Sme,
    /// 占政府采购支出总额
    Total,
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::Cli;

    /// Every option and argument of every command says what it is for, and every command too.
    #[test]
    fn every_option_of_every_command_has_a_description() {
        let mut missing = Vec::new();
        let mut command = Cli::command();
        command.build();
        walk(&command, &mut missing);
        assert!(missing.is_empty(), "without a description: {missing:?}");
    }

    fn walk(command: &clap::Command, missing: &mut Vec<String>) {
        let name = command.get_bin_name().unwrap_or(command.get_name());
        if command.get_about().is_none() {
            missing.push(name.to_string());
        }
        for arg in command.get_arguments() {
            let described = arg
                .get_help()
                .is_some_and(|h| !h.to_string().trim().is_empty());
            if !described {
                missing.push(format!("{name} {}", arg.get_id()));
            }
        }
        for sub in command.get_subcommands() {
            walk(sub, missing);
        }
    }

    /// `text` is offered where a report has running text, and only there.
    #[test]
    fn text_is_offered_only_by_the_reports_with_running_text() {
        let mut command = Cli::command();
        command.build();
        let report = command.find_subcommand("report").unwrap();
        for sub in report.get_subcommands().filter(|s| s.get_name() != "help") {
            let format = sub
                .get_arguments()
                .find(|a| a.get_id() == "format")
                .unwrap();
            let offers_text = format
                .get_possible_values()
                .iter()
                .any(|v| v.get_name() == "text");
            let has_text = matches!(sub.get_name(), "table7" | "procurement" | "overdue");
            assert_eq!(offers_text, has_text, "report {}", sub.get_name());
        }
        let schedule = command
            .find_subcommand("bond")
            .and_then(|b| b.find_subcommand("schedule"))
            .unwrap();
        let format = schedule
            .get_arguments()
            .find(|a| a.get_id() == "format")
            .unwrap();
        assert!(format
            .get_possible_values()
            .iter()
            .all(|v| v.get_name() != "text"));
    }
}
