//! The two languages of the pages, English and simplified Chinese: every message once per
//! language (a missing translation does not compile), the choice from the `lang` setting or
//! `Accept-Language`, and relative dates.

use time::OffsetDateTime;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    En,
    Zh,
}

impl Lang {
    /// The visitor's setting (`en` or `zh`), else the first of `Accept-Language`'s languages we
    /// speak, in the order of their weights; English when nothing matches.
    pub fn choose(setting: Option<&str>, accept_language: Option<&str>) -> Lang {
        if let Some(lang) = setting.and_then(Lang::parse) {
            return lang;
        }
        let mut offered: Vec<(f32, Lang)> = accept_language
            .unwrap_or("")
            .split(',')
            .filter_map(|part| {
                let mut pieces = part.split(';');
                let lang = Lang::parse(pieces.next()?.trim())?;
                let weight =
                    pieces.find_map(|p| p.trim().strip_prefix("q=")).and_then(|q| q.parse::<f32>().ok()).unwrap_or(1.0);
                Some((weight, lang))
            })
            .collect();
        offered.sort_by(|a, b| b.0.total_cmp(&a.0));
        offered.first().map_or(Lang::En, |(_, lang)| *lang)
    }

    /// `en`, `en-GB`, `zh`, `zh-CN`, `zh-Hans`… (traditional Chinese is not offered, so
    /// `zh-TW` and `zh-Hant` fall back to the next choice).
    pub fn parse(tag: &str) -> Option<Lang> {
        let tag = tag.to_ascii_lowercase();
        let primary = tag.split('-').next().unwrap_or("");
        match primary {
            "en" => Some(Lang::En),
            "zh" if !(tag.contains("hant") || tag.ends_with("-tw") || tag.ends_with("-hk")) => Some(Lang::Zh),
            _ => None,
        }
    }

    /// The BCP 47 tag for `<html lang>`.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Zh => "zh-Hans",
        }
    }

    /// The value of the `lang` setting.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Zh => "zh",
        }
    }

    /// How long ago `then` was, as a reader says it.
    pub fn ago(self, then: OffsetDateTime, now: OffsetDateTime) -> String {
        let seconds = (now - then).whole_seconds().max(0);
        let (minutes, hours, days) = (seconds / 60, seconds / 3600, seconds / 86_400);
        match self {
            Lang::En if seconds < 60 => "just now".into(),
            Lang::En if minutes < 60 => format!("{minutes} min ago"),
            Lang::En if hours < 24 => format!("{hours} h ago"),
            Lang::En if days < 7 => format!("{days} d ago"),
            Lang::Zh if seconds < 60 => "刚刚".into(),
            Lang::Zh if minutes < 60 => format!("{minutes} 分钟前"),
            Lang::Zh if hours < 24 => format!("{hours} 小时前"),
            Lang::Zh if days < 7 => format!("{days} 天前"),
            Lang::En => format!("{} {}, {}", then.day(), then.month(), then.year()),
            Lang::Zh => format!("{}年{}月{}日", then.year(), u8::from(then.month()), then.day()),
        }
    }
}

macro_rules! messages {
    ($($name:ident => $en:literal, $zh:literal;)*) => {
        /// Every message a page shows.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Msg { $($name),* }

        impl Msg {
            pub fn text(self, lang: Lang) -> &'static str {
                match (self, lang) {
                    $((Msg::$name, Lang::En) => $en, (Msg::$name, Lang::Zh) => $zh,)*
                }
            }
        }
    };
}

messages! {
    Home => "Home", "首页";
    Public => "Public", "广场";
    ForYou => "For you", "推荐";
    Notifications => "Notifications", "通知";
    Search => "Search", "搜索";
    Sources => "Sources", "订阅源";
    Settings => "Settings", "设置";
    Moderation => "Moderation", "审核";
    Admin => "Admin", "管理";
    Profile => "Profile", "个人主页";
    SignIn => "Sign in", "登录";
    SignUp => "Sign up", "注册";
    SignOut => "Sign out", "退出";
    Username => "Username", "用户名";
    UsernameOrEmail => "Username or email", "用户名或邮箱";
    Email => "Email", "邮箱";
    Password => "Password", "密码";
    DisplayName => "Display name", "昵称";
    Welcome => "Riffle: posts, people and feeds, in one stream.", "Riffle：帖子、用户与订阅，汇成一条信息流。";
    WelcomeSub => "Read the public stream below, or sign up to follow people, topics and sites.", "先看看下面的公开信息流，或注册后关注用户、话题和网站。";
    CheckMail => "Check your mail: we sent a link to confirm the address. Then sign in.", "请查收邮件：点击确认链接后再登录。";
    Confirmed => "Your address is confirmed. Sign in.", "邮箱已确认，请登录。";
    Trending => "Trending tags", "热门话题";
    Attachment => "Attachment", "附件";
    AltText => "Description for people who cannot see it", "图片描述（供看不见的人）";
    Compose => "New post", "发帖";
    ComposePlaceholder => "What's happening?", "有什么新鲜事？";
    Post => "Post", "发布";
    Reply => "Reply", "回复";
    Like => "Like", "点赞";
    Unlike => "Unlike", "取消点赞";
    Repost => "Repost", "转发";
    Unrepost => "Undo repost", "取消转发";
    Reposted => "reposted", "转发了";
    Delete => "Delete", "删除";
    Visibility => "Visibility", "可见范围";
    VisPublic => "Public", "公开";
    VisUnlisted => "Unlisted", "不公开列出";
    VisFollowers => "Followers only", "仅关注者";
    Media => "Images or video (up to 4)", "图片或视频（最多 4 个）";
    CharsLeft => "characters left", "字剩余";
    Follow => "Follow", "关注";
    Unfollow => "Unfollow", "取消关注";
    Block => "Block", "屏蔽";
    Unblock => "Unblock", "取消屏蔽";
    Mute => "Mute", "静音";
    Unmute => "Unmute", "取消静音";
    Followers => "Followers", "关注者";
    Following => "Following", "正在关注";
    Posts => "Posts", "帖子";
    FollowsYou => "Follows you", "关注了你";
    Older => "Older posts", "更早的帖子";
    More => "More", "更多";
    Nothing => "Nothing here yet.", "这里还没有内容。";
    NewPosts => "new posts: show them", "条新帖子，点击显示";
    Thread => "Thread", "对话";
    WhyThis => "Why am I seeing this?", "为什么推荐这条？";
    LikedYourPost => "liked your post", "赞了你的帖子";
    RepostedYourPost => "reposted your post", "转发了你的帖子";
    FollowedYou => "followed you", "关注了你";
    MentionedYou => "mentioned you", "提到了你";
    RepliedToYou => "replied to you", "回复了你";
    NewPostBy => "posted", "发布了新帖子";
    PostHidden => "Your post was hidden by a moderator", "你的帖子被管理员隐藏";
    ReportFiled => "reported a post", "举报了帖子";
    ReportResolved => "Your report was resolved", "你的举报已处理";
    SignedUp => "signed up", "注册了";
    AndOthers => "and others", "等人";
    MarkRead => "Mark all as read", "全部标为已读";
    People => "People", "用户";
    Tags => "Tags", "话题";
    NoResults => "No results.", "没有结果。";
    Subscribe => "Subscribe", "订阅";
    FeedUrl => "Feed or website address", "订阅源或网站地址";
    ImportOpml => "Import OPML", "导入 OPML";
    ExportOpml => "Export OPML", "导出 OPML";
    Unsubscribe => "Unsubscribe", "取消订阅";
    Refresh => "Fetch now", "立即抓取";
    Save => "Save", "保存";
    Bio => "Bio", "简介";
    Avatar => "Avatar", "头像";
    Language => "Language", "语言";
    CurrentPassword => "Current password", "当前密码";
    NewPassword => "New password", "新密码";
    ChangePassword => "Change password", "修改密码";
    Sessions => "Sessions", "登录设备";
    ThisSession => "this session", "当前设备";
    Revoke => "Sign out there", "退出该设备";
    Reports => "Reports", "举报队列";
    Log => "Log", "记录";
    Dismiss => "Dismiss", "驳回";
    Hide => "Hide the post", "隐藏帖子";
    Users => "Users", "用户";
    Role => "Role", "角色";
    Suspend => "Suspend", "封禁";
    Restore => "Restore", "解封";
    Audit => "Audit log", "审计日志";
    Saved => "Saved.", "已保存。";
    KeyboardHelp => "Keyboard shortcuts", "键盘快捷键";
    ApiReference => "API reference", "API 文档";
    SkipToContent => "Skip to content", "跳到正文";
    NotFound => "There is nothing at this address.", "此地址没有内容。";
    SomethingWrong => "That did not work", "操作未成功";
    SessionExpired => "Your form expired; please try again.", "表单已过期，请重试。";
    Status => "Status", "状态";
    Entries => "Entries", "条目";
    LastError => "Last error", "最近错误";
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    #[test]
    fn the_setting_wins_then_the_heaviest_language_we_speak() {
        assert_eq!(Lang::choose(Some("zh"), Some("en")), Lang::Zh);
        assert_eq!(Lang::choose(None, Some("fr-FR, zh-CN;q=0.8, en;q=0.5")), Lang::Zh);
        assert_eq!(Lang::choose(None, Some("en;q=0.3, zh-Hans;q=0.9")), Lang::Zh);
        assert_eq!(Lang::choose(None, Some("zh-TW, en;q=0.5")), Lang::En);
        assert_eq!(Lang::choose(None, None), Lang::En);
        assert_eq!(Lang::choose(Some("klingon"), Some("zh")), Lang::Zh);
    }

    #[test]
    fn dates_read_relative_then_absolute() {
        let now = datetime!(2026-12-04 12:00 UTC);
        assert_eq!(Lang::En.ago(datetime!(2026-12-04 11:59:30 UTC), now), "just now");
        assert_eq!(Lang::Zh.ago(datetime!(2026-12-04 11:55 UTC), now), "5 分钟前");
        assert_eq!(Lang::En.ago(datetime!(2026-12-04 09:00 UTC), now), "3 h ago");
        assert_eq!(Lang::Zh.ago(datetime!(2026-12-01 12:00 UTC), now), "3 天前");
        assert_eq!(Lang::En.ago(datetime!(2026-11-01 12:00 UTC), now), "1 November, 2026");
        assert_eq!(Lang::Zh.ago(datetime!(2026-11-01 12:00 UTC), now), "2026年11月1日");
    }
}
