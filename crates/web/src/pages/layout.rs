//! The frame of every page: the unit's name, the menu (only what the caller's role may use), the
//! caller and the logout button, and an A4 print layout from the stylesheet.

use maud::{html, Markup, DOCTYPE};
use taizhang_core::Right;

use crate::auth::Caller;
use crate::http::CSRF_QUERY;

/// The menu: address, label, the right it needs.
const MENU: &[(&str, &str, Right)] = &[
    ("/", "概览", Right::Read),
    ("/entries", "台账", Right::Read),
    ("/table7", "表7", Right::Read),
    ("/procurement", "政府采购", Right::Read),
    ("/bonds", "专项债券", Right::Read),
    ("/compliance", "合规", Right::Read),
    ("/import", "导入", Right::Post),
    ("/post", "记账", Right::Post),
    ("/pending", "待审", Right::Read),
    ("/close", "结账", Right::Administer),
    ("/export", "导出", Right::Read),
    ("/verify", "校验", Right::Read),
];

/// A whole page: `active` is the menu address to mark.
pub fn page(title: &str, unit: &str, caller: &Caller, active: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="zh-CN" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · " (unit) " · 台账" }
                link rel="stylesheet" href="/assets/site.css";
            }
            body {
                header.top {
                    span.unit { (unit) }
                    nav {
                        @for (href, label, right) in MENU {
                            @if caller.role.can(*right) {
                                a href=(href) class=[(*href == active).then_some("active")] { (label) }
                            }
                        }
                    }
                    (who(caller))
                }
                main { (body) }
            }
        }
    }
}

fn who(caller: &Caller) -> Markup {
    let action = format!(
        "/logout?{CSRF_QUERY}={}",
        caller.csrf.as_deref().unwrap_or("")
    );
    html! {
        form.who method="post" action=(action) {
            span { (caller.name) "（" (caller.role.label()) "）" }
            button type="submit" { "退出" }
        }
    }
}

/// A form's action with the caller's CSRF token in its address.
pub fn action(caller: &Caller, path: &str) -> String {
    let separator = if path.contains('?') { '&' } else { '?' };
    format!(
        "{path}{separator}{CSRF_QUERY}={}",
        caller.csrf.as_deref().unwrap_or("")
    )
}

/// A page without the frame, for the login form and errors before login.
pub fn bare(title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="zh-CN" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · 台账" }
                link rel="stylesheet" href="/assets/site.css";
            }
            body.bare { main { (body) } }
        }
    }
}
