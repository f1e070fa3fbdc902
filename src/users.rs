//! `taizhang user …`: the people of the web workspace. Roles go into the chain; passwords are asked
//! without echo (or read from stdin for scripts) and stored only as their Argon2id hash.

use std::io::{BufRead, IsTerminal};

use anyhow::bail;
use taizhang_core::Role;
use taizhang_store::Ledger;
use taizhang_web::auth;

use crate::cli::UserCommand;
use crate::output;
use taizhang_posting::{checked_option, Misuse};

/// Where user entries say they came from.
const SOURCE: &str = "命令行";

pub fn run(
    path: &std::path::Path,
    command: UserCommand,
    operator: impl Fn(Option<String>) -> String,
    quiet: bool,
) -> anyhow::Result<bool> {
    // The operator goes into the chain: the checks of every command's `--operator`.
    let operator = |given: Option<String>| -> anyhow::Result<String> {
        taizhang_posting::checked_operator(&operator(given)).map_err(|p| anyhow::anyhow!("{p}"))
    };
    match command {
        UserCommand::Add {
            name,
            role,
            password_stdin,
            who,
        } => add(
            path,
            &name,
            &role,
            password_stdin,
            &operator(who.operator)?,
            quiet,
        ),
        UserCommand::List => list(&crate::open_read(path)?),
        UserCommand::Disable { name, who } => disable(path, &name, &operator(who.operator)?, quiet),
        UserCommand::Passwd {
            name,
            password_stdin,
        } => passwd(path, &name, password_stdin, quiet),
        UserCommand::Token { name } => token(path, &name),
    }
}

/// A user name as stored: the checks of any stored text, and no characters that a cookie, a log or
/// a Basic header would take apart.
fn checked_name(name: &str) -> anyhow::Result<String> {
    let name = checked_option("用户名", name.trim()).map_err(|p| anyhow::anyhow!("{p}"))?;
    if name
        .chars()
        .any(|c| c.is_whitespace() || matches!(c, ':' | ';' | ',' | '"'))
    {
        bail!("用户名不能含空白或 : ; , \" 这些字符");
    }
    if name.chars().count() > 64 {
        bail!("用户名不能超过 64 个字符");
    }
    Ok(name)
}

fn parse_role(word: &str) -> anyhow::Result<Role> {
    Role::parse(word.trim()).map_err(|_| {
        Misuse(format!(
            "未知的角色“{}”：可选 admin（管理员）maker（制单）checker（审核）auditor（审计）viewer（查看）",
            taizhang_core::text::excerpt(word)
        ))
        .into()
    })
}

fn add(
    path: &std::path::Path,
    name: &str,
    role: &str,
    password_stdin: bool,
    operator: &str,
    quiet: bool,
) -> anyhow::Result<bool> {
    let name = checked_name(name)?;
    let role = parse_role(role)?;
    let ledger = crate::open(path)?;
    let known = ledger.user(&name)?;
    // A new user needs a password; an existing one keeps theirs (a role change, or enabling again).
    let credentials = match &known {
        Some(_) => None,
        None => Some(taizhang_store::Credentials {
            password: Some(
                auth::hash_password(&new_password(password_stdin)?)
                    .map_err(|e| anyhow::anyhow!(e))?,
            ),
            tokens: Vec::new(),
        }),
    };
    let seq = ledger.change_user((&name, role, true), credentials.as_ref(), operator, SOURCE)?;
    if !quiet {
        match (seq, known) {
            (None, _) => eprintln!("用户 {name} 已是{}，未作改动", role.label()),
            (Some(seq), None) => eprintln!("已添加用户 {name}（{}），第 {seq} 条", role.label()),
            (Some(seq), Some(_)) => {
                eprintln!("用户 {name} 现为{}（启用），第 {seq} 条", role.label())
            }
        }
    }
    Ok(true)
}

fn disable(
    path: &std::path::Path,
    name: &str,
    operator: &str,
    quiet: bool,
) -> anyhow::Result<bool> {
    let ledger = crate::open(path)?;
    let Some(user) = ledger.user(name)? else {
        bail!("没有用户 {}", taizhang_core::text::excerpt(name));
    };
    let seq = ledger.change_user((&user.name, user.role, false), None, operator, SOURCE)?;
    if !quiet {
        match seq {
            Some(seq) => eprintln!("已停用用户 {}，第 {seq} 条", user.name),
            None => eprintln!("用户 {} 已是停用状态", user.name),
        }
    }
    Ok(true)
}

fn passwd(
    path: &std::path::Path,
    name: &str,
    password_stdin: bool,
    quiet: bool,
) -> anyhow::Result<bool> {
    let ledger = crate::open(path)?;
    let Some(user) = ledger.user(name)? else {
        bail!("没有用户 {}", taizhang_core::text::excerpt(name));
    };
    let hash =
        auth::hash_password(&new_password(password_stdin)?).map_err(|e| anyhow::anyhow!(e))?;
    ledger.update_credentials(&user.name, |c| c.password = Some(hash))?;
    if !quiet {
        eprintln!("已更改用户 {} 的口令", user.name);
    }
    Ok(true)
}

fn token(path: &std::path::Path, name: &str) -> anyhow::Result<bool> {
    let ledger = crate::open(path)?;
    let Some(user) = ledger.user(name)?.filter(|u| u.active) else {
        bail!("没有启用的用户 {}", taizhang_core::text::excerpt(name));
    };
    let (token, stored) = auth::new_token().map_err(|e| anyhow::anyhow!(e))?;
    ledger.update_credentials(&user.name, |c| c.tokens.push(stored))?;
    eprintln!(
        "用户 {} 的新令牌如下（只显示这一次；脚本用 Authorization: Bearer 令牌）：",
        user.name
    );
    output::out(&format!("{token}\n"));
    Ok(true)
}

fn list(ledger: &Ledger) -> anyhow::Result<bool> {
    let users = ledger.users()?;
    if users.is_empty() {
        eprintln!("还没有用户：用 taizhang user add 名字 --role 角色 添加");
        return Ok(true);
    }
    let mut text = String::from("用户名\t角色\t状态\t口令\t令牌\t记录\t操作员\n");
    for user in users {
        let credentials = ledger.credentials(&user.name)?.unwrap_or_default();
        text.push_str(&format!(
            "{}\t{}（{}）\t{}\t{}\t{}\t第 {} 条\t{}\n",
            user.name,
            user.role.label(),
            user.role.key(),
            if user.active { "启用" } else { "停用" },
            if credentials.password.is_some() {
                "已设"
            } else {
                "未设"
            },
            credentials.tokens.len(),
            user.seq,
            user.operator
        ));
    }
    output::out(&text);
    Ok(true)
}

/// A new password: one line from stdin, or typed twice on the terminal without echo.
fn new_password(from_stdin: bool) -> anyhow::Result<String> {
    let password = if from_stdin || !std::io::stdin().is_terminal() {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        line.trim_end_matches(['\r', '\n']).to_string()
    } else {
        let first = rpassword::prompt_password("口令：")?;
        let again = rpassword::prompt_password("再输入一次：")?;
        if first != again {
            bail!("两次输入的口令不一致");
        }
        first
    };
    auth::check_password(&password).map_err(|e| anyhow::anyhow!(e))?;
    Ok(password)
}
