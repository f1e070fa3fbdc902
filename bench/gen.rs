//! Writes a ledger's worth of import files, deterministic from a seed: bonds, contracts and N payments
//! that refer to them, in the interchange format (UTF-8, English headers, plain amounts so that other
//! tools can read the same files).
//!
//! `cargo run --release --example gen -- OUT_DIR ROWS [SEED]`

use std::fmt::Write as _;
use std::io::{BufWriter, Write};

const BONDS: usize = 8;
const CONTRACTS: usize = 200;
const CODES: [&str; 3] = ["2290402", "2120803", "2010350"];

/// A small linear congruential generator: the files depend on the seed alone.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let (Some(out), Some(rows)) = (
        args.get(1),
        args.get(2).and_then(|r| r.parse::<usize>().ok()),
    ) else {
        eprintln!("用法：gen OUT_DIR ROWS [SEED]");
        std::process::exit(2);
    };
    let seed = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(42);
    let out = std::path::Path::new(out);
    std::fs::create_dir_all(out)?;
    let mut random = Lcg(seed);
    write_bonds(out)?;
    write_contracts(out, &mut random)?;
    write_payments(out, rows, &mut random)
}

fn write_bonds(out: &std::path::Path) -> std::io::Result<()> {
    let mut text = String::from("bond_code,bond_name,issue_date,term_years,coupon_rate,frequency,project_code,project_name,amount\n");
    for b in 0..BONDS {
        let _ = writeln!(text, "GB{b:03},基准测试债券{b},2021-0{}-15,10,3.{b}0,semiannual,PRJ{b:03},基准项目{b},900000000000.00", b % 9 + 1);
    }
    std::fs::write(out.join("bonds.csv"), text)
}

fn write_contracts(out: &std::path::Path, random: &mut Lcg) -> std::io::Result<()> {
    let sizes = ["large", "medium", "small", "micro"];
    let categories = ["goods", "works", "services"];
    let mut text = String::from(
        "contract_no,title,sign_date,category,method,fund,supplier_name,size,share_amount\n",
    );
    for c in 0..CONTRACTS {
        let category = categories[c % 3];
        for part in 0..(1 + c % 3) {
            let size = sizes[random.below(4) as usize];
            let _ = writeln!(text, "HT{c:05},基准合同{c},2022-{:02}-{:02},{category},open,general,供应商{c}-{part},{size},{}.00", c % 12 + 1, c % 28 + 1, 1_000_000 + random.below(9_000_000));
        }
    }
    std::fs::write(out.join("contracts.csv"), text)
}

fn write_payments(out: &std::path::Path, rows: usize, random: &mut Lcg) -> std::io::Result<()> {
    let mut file = BufWriter::new(std::fs::File::create(out.join("payments.csv"))?);
    writeln!(file, "voucher_no,date,fund,function_code,expense_type,amount,project_code,contract_no,bond_code,purpose,payee")?;
    for i in 0..rows {
        let year = 2022 + (i * 3 / rows.max(1)) as u64;
        let date = format!(
            "{year}-{:02}-{:02}",
            random.below(12) + 1,
            random.below(28) + 1
        );
        let fen = 10_000 + random.below(100_000_000);
        let amount = format!("{}.{:02}", fen / 100, fen % 100);
        if random.below(2) == 0 {
            let bond = random.below(BONDS as u64);
            let contract = random.below(CONTRACTS as u64);
            writeln!(file, "PAY{i:09},{date},gov_fund,2290402,project,{amount},PRJ{bond:03},HT{contract:05},GB{bond:03},construction,供应商{contract}-0")?;
        } else {
            let code = CODES[random.below(3) as usize];
            let kind = if random.below(3) == 0 {
                "basic"
            } else {
                "project"
            };
            writeln!(
                file,
                "PAY{i:09},{date},gov_fund,{code},{kind},{amount},,,,,收款人{}",
                random.below(500)
            )?;
        }
    }
    file.flush()
}
