//! clap in Chinese: the command line's own errors and the headings of `--help`.
//!
//! clap writes its errors ("unexpected argument '--bogus' found") and headings ("Usage", "Options")
//! in English, and the users of this program read Chinese. clap has no message catalogue, so the
//! command is given Chinese help templates and flags before parsing, and an error is rendered here
//! from its kind and context (the argument, the value, clap's suggestion) instead of clap's text.
//! Exit status stays clap's: 2 for misuse, 0 for `--help` and `--version`.

use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::{Arg, ArgAction, Command};

/// The command with Chinese help: headings, the help and version flags, the `help` subcommand.
pub fn localize(command: Command) -> Command {
    let mut command = localize_one(command, true);
    // clap adds its `help` subcommand when the command is built: built first, so that it is there
    // to be described in Chinese.
    command.build();
    command.mut_subcommand("help", |help| help.about("显示本帮助或某个命令的帮助"))
}

fn localize_one(command: Command, top: bool) -> Command {
    let template = help_template(&command);
    // `post` has a `--help` of its own (a kind's columns): it keeps it.
    let own_help = command.get_arguments().any(|a| a.get_id() == "help");
    let mut command = command.mut_args(describe_values).help_template(template);
    if !own_help {
        command = command.disable_help_flag(true).arg(
            Arg::new("help")
                .short('h')
                .long("help")
                .action(ArgAction::Help)
                .help("显示帮助"),
        );
    }
    if top {
        command = command.disable_version_flag(true).arg(
            Arg::new("version")
                .short('V')
                .long("version")
                .action(ArgAction::Version)
                .help("显示版本"),
        );
    }
    let names: Vec<String> = command
        .get_subcommands()
        .map(|s| s.get_name().to_string())
        .collect();
    for name in names {
        command = command.mut_subcommand(name, |sub| localize_one(sub, false));
    }
    command
}

/// An option's default and choices written into its description in Chinese, instead of clap's
/// "[default: …]", "[possible values: …]" and "[env: …]".
fn describe_values(arg: Arg) -> Arg {
    if !arg.get_action().takes_values() {
        return arg;
    }
    let help = arg.get_help().map(ToString::to_string).unwrap_or_default();
    let mut extra = String::new();
    let shown = arg.get_possible_values();
    let shown: Vec<_> = shown.iter().filter(|v| !v.is_hide_set()).collect();
    let choices: Vec<String> = shown
        .iter()
        .map(|v| match v.get_help() {
            Some(what) => format!("{} {what}", v.get_name()),
            None => v.get_name().to_string(),
        })
        .collect();
    // A description that already names every choice says enough.
    let named = shown.iter().all(|v| help.contains(v.get_name()));
    if !choices.is_empty() && !named {
        extra.push_str(&format!("（可选：{}）", choices.join("、")));
    }
    let defaults: Vec<String> = arg
        .get_default_values()
        .iter()
        .map(|v| v.to_string_lossy().into_owned())
        .collect();
    if !defaults.is_empty() && !defaults.iter().all(|d| help.contains(d.as_str())) {
        extra.push_str(&format!("（默认：{}）", defaults.join("、")));
    }
    arg.help(format!("{help}{extra}"))
        .hide_default_value(true)
        .hide_possible_values(true)
        .hide_env(true)
}

/// clap's default layout with the headings in Chinese; sections a command lacks are left out.
fn help_template(command: &Command) -> String {
    let mut template = String::from("{before-help}{about-with-newline}\n用法：{usage}\n");
    if command.has_subcommands() {
        template.push_str("\n命令：\n{subcommands}\n");
    }
    if command.get_positionals().next().is_some() {
        template.push_str("\n参数：\n{positionals}\n");
    }
    template.push_str("\n选项：\n{options}{after-help}");
    template
}

/// Prints a parse error or the help it stands for, and says with which exit status to end.
pub fn report(error: &clap::Error) -> i32 {
    match error.kind() {
        ErrorKind::DisplayHelp
        | ErrorKind::DisplayVersion
        | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            // The help itself: already in Chinese through the templates.
            let _ = error.print();
        }
        _ => eprintln!(
            "用法错误：{}\n（运行 taizhang --help 或 taizhang 命令 --help 查看用法）",
            message(error)
        ),
    }
    error.exit_code()
}

/// The error in Chinese, with the argument and value it is about.
pub fn message(error: &clap::Error) -> String {
    // What the user typed is repeated at most ECHO_CHARS_MAX characters long.
    let context = |kind| {
        error
            .get(kind)
            .map(|value| taizhang_core::text::excerpt(&text(value)).into_owned())
            .unwrap_or_default()
    };
    let arg = context(ContextKind::InvalidArg);
    let value = context(ContextKind::InvalidValue);
    let mut message = match error.kind() {
        ErrorKind::InvalidValue if value.is_empty() => format!("{arg} 缺少值"),
        ErrorKind::InvalidValue => format!("{arg} 的值“{value}”无效"),
        ErrorKind::ValueValidation => match std::error::Error::source(error) {
            Some(why) => invalid_value(&arg, &value, why),
            None => format!("{arg} 的值“{value}”无效"),
        },
        ErrorKind::UnknownArgument => format!("没有这个选项或参数：“{arg}”"),
        ErrorKind::InvalidSubcommand => format!(
            "没有这个命令：“{}”",
            context(ContextKind::InvalidSubcommand)
        ),
        ErrorKind::NoEquals => format!("{arg} 的值须用等号写在后面（{arg}=值）"),
        ErrorKind::TooManyValues => format!("{arg} 的值太多：“{value}”"),
        ErrorKind::TooFewValues | ErrorKind::WrongNumberOfValues => {
            format!("{arg} 的值的个数不对")
        }
        ErrorKind::ArgumentConflict => {
            format!("{arg} 不能与 {} 同时使用", context(ContextKind::PriorArg))
        }
        ErrorKind::MissingRequiredArgument => format!("缺少必需的参数：{arg}"),
        ErrorKind::MissingSubcommand => "缺少命令".to_string(),
        ErrorKind::InvalidUtf8 => "参数不是有效的 UTF-8 文本".to_string(),
        _ => "命令行有误".to_string(),
    };
    let valid = context(ContextKind::ValidValue);
    if !valid.is_empty() {
        message.push_str(&format!("（可选：{valid}）"));
    }
    for suggestion in [ContextKind::SuggestedArg, ContextKind::SuggestedSubcommand] {
        let suggested = context(suggestion);
        if !suggested.is_empty() {
            message.push_str(&format!("；是否想写 {suggested}？"));
        }
    }
    if error.get(ContextKind::TrailingArg).is_some() && arg.starts_with('-') {
        message.push_str(&format!("；若“{arg}”是一个值而非选项，请写在 -- 之后"));
    }
    message
}

/// A value clap's own parser (or ours) refused. Ours say why in Chinese; the standard library's
/// number parsers say it in English ("invalid digit found in string"), so for them the message says
/// what was expected instead, with the bounds of the option's type.
fn invalid_value(arg: &str, value: &str, why: &(dyn std::error::Error + 'static)) -> String {
    let option = arg.split(' ').next().unwrap_or(arg);
    if why.is::<std::num::ParseIntError>() {
        let range = integer_range(option).map_or_else(|| "整数".into(), |r| format!(" {r}"));
        return format!("{option} 应为{range}（只写数字），“{value}”不是");
    }
    if why.is::<std::num::ParseFloatError>() {
        return format!("{option} 应为数，“{value}”不是");
    }
    // Any other library's words are not shown: only ours, which are Chinese.
    let ours = why.to_string();
    if ours.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)) {
        format!("{arg} 的值“{value}”无效：{ours}")
    } else {
        format!("{arg} 的值“{value}”无效")
    }
}

/// "0 到 18446744073709551615 之间的整数" for an option whose values are parsed as a standard
/// integer type, found by its long name in the command line's definition.
fn integer_range(option: &str) -> Option<String> {
    use clap::CommandFactory;
    use std::any::TypeId;
    let command = crate::cli::Cli::command();
    let parser_type = find_arg(&command, option.trim_start_matches('-'))?
        .get_value_parser()
        .type_id();
    macro_rules! range_of {
        ($($t:ty),*) => {$(
            if parser_type == TypeId::of::<$t>() {
                return Some(format!("{} 到 {} 之间的整数", <$t>::MIN, <$t>::MAX));
            }
        )*};
    }
    range_of!(u8, u16, u32, u64, usize, i8, i16, i32, i64);
    None
}

fn find_arg<'c>(command: &'c Command, long: &str) -> Option<&'c Arg> {
    command
        .get_arguments()
        .find(|a| a.get_long() == Some(long))
        .or_else(|| command.get_subcommands().find_map(|s| find_arg(s, long)))
}

fn text(value: &ContextValue) -> String {
    match value {
        ContextValue::Strings(values) => values.join("、"),
        ContextValue::StyledStrs(values) => values
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("、"),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    fn error_of(args: &[&str]) -> String {
        let command = localize(crate::cli::Cli::command());
        let error = command.try_get_matches_from(args).unwrap_err();
        message(&error)
    }

    #[test]
    fn errors_name_the_argument_in_chinese() {
        assert_eq!(
            error_of(&["taizhang", "import", "--bogus", "x"]),
            "没有这个选项或参数：“--bogus”"
        );
        let unknown = error_of(&["taizhang", "imprt"]);
        assert!(
            unknown.starts_with("没有这个命令：“imprt”；是否想写 "),
            "{unknown}"
        );
        assert!(unknown.contains("import"), "{unknown}");
        assert_eq!(
            error_of(&["taizhang", "report", "table7"]),
            "缺少必需的参数：--year <YEAR>"
        );
    }

    #[test]
    fn a_number_the_parser_refuses_says_what_was_expected_in_chinese() {
        assert_eq!(
            error_of(&["taizhang", "log", "--from", "99999999999999999999"]),
            "--from 应为 0 到 18446744073709551615 之间的整数（只写数字），“99999999999999999999”不是"
        );
        assert_eq!(
            error_of(&[
                "taizhang",
                "classify",
                "--industry",
                "工业",
                "--people",
                "1e3"
            ]),
            "--people 应为 0 到 18446744073709551615 之间的整数（只写数字），“1e3”不是"
        );
        // Our own parsers' words stay.
        assert_eq!(
            error_of(&["taizhang", "report", "table7", "--year", "abc"]),
            "--year <YEAR> 的值“abc”无效：“abc”不是年份（应如 2023）"
        );
        let year = error_of(&["taizhang", "report", "opening-adjustments", "--year", "x"]);
        assert_eq!(year, "--year <YEAR> 的值“x”无效：“x”不是年份（应如 2023）");
    }
}
