"""Interface strings in English and Chinese (no Streamlit here).

``text(key, lang, **values)`` formats one string. Wording is hedged: the dashboard is
decision support for trained readers, not a diagnostic device. Every key is checked by
``tests/dashboard/test_i18n.py`` against the keys the dashboard uses.
"""

from __future__ import annotations

from typing import Any

from kernel import Language

LANGUAGES = ("en", "zh")

STRINGS: dict[str, tuple[str, str]] = {
    # ---------------------------------------------------------------- frame
    "app.title": ("CXR Casebook", "CXR 病例库"),
    "app.disclaimer": (
        "Decision support for trained readers, not a diagnostic device. Findings are suggestions to verify on the image.",
        "供受过训练的阅片者参考的辅助决策工具，不是诊断设备。所有发现均为提示，请在影像上核实。",
    ),
    "nav.cases": ("Cases", "病例"),
    "nav.case": ("Case", "病例详情"),
    "nav.replay": ("Replay", "回放教学"),
    "nav.compare": ("Compare", "对比"),
    "nav.audit": ("Audit", "审计"),
    "nav.ontology": ("Ontology", "征象本体"),
    "nav.settings": ("Settings", "设置"),
    "login.title": ("Sign in", "登录"),
    "login.prompt": (
        "Sign in with your hospital account to continue.",
        "请使用医院账号登录后继续。",
    ),
    "login.button": ("Sign in", "登录"),
    "login.button_named": ("Sign in with {name}", "使用 {name} 登录"),
    "identity.signed_in": ("Signed in", "已登录"),
    "identity.roles": ("Role: {roles}", "角色：{roles}"),
    "identity.sign_out": ("Sign out", "退出登录"),
    "identity.local_mode": ("Local single-user mode", "本地单用户模式"),
    "identity.local_hint": (
        "No sign-in is configured; your writes are recorded as {actor}.",
        "未配置登录；您的操作将以 {actor} 记入审计日志。",
    ),
    "identity.role": ("Acting as", "当前角色"),
    "identity.fixed_role": (
        "The role is set by CASEBOOK_ROLE because this server is reachable from other machines.",
        "此服务器可被其他机器访问，角色由 CASEBOOK_ROLE 固定。",
    ),
    "identity.proxied": (
        "This page was reached through a proxy or tunnel without sign-in: everyone who "
        "reaches it acts as this role. Configure sign-in (docs/trust.md).",
        "此页面经代理或隧道访问且未配置登录：所有访问者都以此角色操作。请配置登录（见 docs/trust.md）。",
    ),
    "frame.image_size": ("Image size", "影像尺寸"),
    "frame.image_size_help": (
        "S, M or L: pick the largest that fits beside the conversation on your screen.",
        "S、M、L：选择在屏幕上能与对话并排显示的最大尺寸。",
    ),
    "role.reader": ("Reader (resident)", "阅片者（住院医师）"),
    "role.reviewer": ("Reviewer (attending)", "审核者（主治医师）"),
    "role.teacher": ("Teacher", "教师"),
    "role.qa_auditor": ("QA auditor", "质控审计员"),
    "role.admin": ("Administrator", "管理员"),
    "access.page_denied": (
        "Your role ({roles}) does not open this page; it is open to: {allowed}. Ask an administrator if you need it.",
        "您的角色（{roles}）无权打开此页面；可打开此页面的角色：{allowed}。如需访问，请联系管理员。",
    ),
    "access.switch_role": (
        "On this workstation you can switch under “Acting as” in the sidebar.",
        "在本工作站上可在侧边栏“当前角色”中切换。",
    ),
    # ---------------------------------------------------------------- errors
    "error.locked": (
        "The case database is in use by another program. {detail}",
        "病例数据库正被其他程序占用。{detail}",
    ),
    "error.model_missing": (
        "A bundled image model is missing, so images cannot be analysed. {detail}",
        "缺少内置影像模型，无法分析影像。{detail}",
    ),
    "error.backend_unavailable": (
        "This answer engine cannot run here. {detail}",
        "此应答引擎无法在本机运行。{detail}",
    ),
    "error.backend_failed": (
        "The answer engine gave no usable answer; nothing was stored. {detail}",
        "应答引擎未给出可用回答，未保存任何内容。{detail}",
    ),
    "error.conflict": (
        "Someone else answered in this conversation at the same moment; reload the page. {detail}",
        "他人同时在此对话中提问；请刷新页面。{detail}",
    ),
    "error.not_found": ("Not found: {detail}", "未找到：{detail}"),
    "error.access": ("Access denied: {detail}", "拒绝访问：{detail}"),
    # The message says what the issue means; its code stays in the stored record.
    "intake.issue": ("{message}", "{message}"),
    # ---------------------------------------------------------------- shared words
    "any.any": ("Any", "不限"),
    "any.yes": ("Yes", "是"),
    "any.no": ("No", "否"),
    "verdict.agree": ("Agree", "同意"),
    "verdict.disagree": ("Disagree", "不同意"),
    "verdict.uncertain": ("Uncertain", "不确定"),
    "verdict.prompt": ("Your verdict on {anchor}:", "您对 {anchor} 的判断："),
    "verdict.saved": (
        "Saved {tag}: {verdict} on {anchor}.",
        "已保存 {tag}：对 {anchor} {verdict}。",
    ),
    "sort.newest": ("Newest first", "最新优先"),
    "sort.oldest": ("Oldest first", "最早优先"),
    "sort.case_id": ("Case id", "病例号"),
    "sort.most_turns": ("Most turns", "对话轮次最多"),
    "sort.last_activity": ("Last activity", "最近活动"),
    "status.created": ("created", "新建"),
    "status.refined": ("refined", "细化"),
    "status.referenced": ("referenced", "引用"),
    "kind.region": ("region", "区域"),
    "kind.finding": ("finding", "发现"),
    "kind.landmark": ("landmark", "解剖标志"),
    "kind.measurement": ("measurement", "测量"),
    "kind.user_drawn": ("drawn by a reader", "阅片者标注"),
    "side.right": ("right", "右"),
    "side.left": ("left", "左"),
    "side.midline": ("midline", "中线"),
    "zone.upper": ("upper zone", "上野"),
    "zone.middle": ("middle zone", "中野"),
    "zone.lower": ("lower zone", "下野"),
    "band.inner": ("inner band", "内带"),
    "band.middle": ("middle band", "中带"),
    "band.outer": ("outer band", "外带"),
    "location.approximate": (" (approximate)", "（近似）"),
    "measure.center_to_hilum": ("lesion centre to hilum", "病灶中心至肺门"),
    "measure.edge_gap": ("gap to the hilum", "与肺门间隙"),
    "measure.center_distance": ("centre to centre", "中心间距"),
    "measure.long_axis": ("long axis", "长径"),
    "measure.short_axis": ("short axis", "短径"),
    "measure.diameter": ("diameter", "直径"),
    "measure.distance": ("distance", "距离"),
    "measure.gap": ("gap", "间隙"),
    "measure.none": ("No measurements up to this turn.", "截至本轮无测量。"),
    "measure.note": (
        "Numbers come from geometry on the image and its pixel spacing, never from a language model.",
        "所有数值均由影像几何与像素间距计算得出，而非语言模型生成。",
    ),
    "layer.screening": ("Screening", "初筛区域"),
    "layer.contours": ("Contours", "轮廓"),
    "layer.anatomy": ("Anatomy", "解剖"),
    "layer.measurements": ("Measurements", "测量"),
    "layer.reader": ("Reader boxes", "阅片者框"),
    "layer.labels": ("Labels", "标签"),
    "group.core": ("core", "核心"),
    "group.supporting": ("supporting", "支持"),
    "group.ct_pending": ("needs CT", "待CT"),
    "group.benign_counter": ("counter-sign", "反向征象"),
    "assess.yes": ("yes", "可评估"),
    "assess.limited": ("limited", "有限"),
    "assess.ct_only": ("CT only", "仅CT"),
    "score.met": ("met", "符合"),
    "score.not_met": ("not met", "不符合"),
    "score.not_assessable": ("not assessable", "无法评估"),
    "score.total": (
        "{total} items in all; every item is counted once as met, not met or not assessable "
        "(needs CT, not assessed by this tool on radiographs, or not measured on this image).",
        "共 {total} 项；每项只计一次：符合、不符合或无法评估（需 CT、本工具不在胸片上评估，或此图上未测得）。",
    ),
    "score.none": (
        "No scorecard yet. Ask, for example, “If this were early lung cancer, which signs does this image meet?”",
        "尚无评分卡。可提问如“如果这是早期肺癌，当前影像符合几条？”",
    ),
    "score.evidence_hint": (
        "Show an item's evidence on the image:",
        "在影像上显示某项的证据：",
    ),
    "case.details": ("Details", "详情"),
    "tab.scorecard": ("Scorecard", "征象评分卡"),
    "tab.anchors": ("Anchors ({n})", "锚点（{n}）"),
    "tab.measurements": ("Measurements ({n})", "测量（{n}）"),
    "tab.annotations": ("Reviewer annotations ({n})", "审核标注（{n}）"),
    # ---------------------------------------------------------------- columns
    "col.case": ("Case", "病例"),
    "col.link": ("Link", "链接"),
    "col.open": ("Open", "打开"),
    "col.created": ("Created", "创建时间"),
    "col.images": ("Images", "影像数"),
    "col.modality": ("Modality", "模态"),
    "col.view": ("View", "体位"),
    "col.calibration": ("Calibration", "标定"),
    "col.warnings": ("Warnings", "警告"),
    "col.conversations": ("Conversations", "对话数"),
    "col.turns": ("Turns", "轮次"),
    "col.last_activity": ("Last activity", "最近活动"),
    "col.file": ("File", "文件"),
    "col.status": ("Status", "状态"),
    "col.message": ("Message", "说明"),
    "col.sign": ("Sign", "征象"),
    "col.group": ("Group", "分组"),
    "col.evidence": ("Evidence", "证据"),
    "col.reason": ("Reason", "依据"),
    "col.anchor": ("Anchor", "锚点"),
    "col.label": ("Label", "标签"),
    "col.kind": ("Kind", "类型"),
    "col.location": ("Location", "位置"),
    "col.size": ("Size", "大小"),
    "col.status_in_turn": ("In this turn", "本轮操作"),
    "col.made_in_turn": ("Made in turn", "创建轮次"),
    "col.parents": ("Parents", "父锚点"),
    "col.confidence": ("Confidence", "置信度"),
    "col.turn": ("Turn", "轮次"),
    "col.from": ("From", "起点"),
    "col.to": ("To", "终点"),
    "col.value": ("Value", "数值"),
    "col.pixels": ("Pixels", "像素"),
    "col.relative_error": ("Relative error", "相对误差"),
    "col.tag": ("Tag", "编号"),
    "col.author": ("Author", "作者"),
    "col.time": ("Time", "时间"),
    "col.verdict": ("Verdict", "判断"),
    "col.conversation": ("Conversation", "对话"),
    "col.box": ("Box (px)", "框（像素）"),
    "col.note": ("Note", "备注"),
    "col.actor": ("Actor", "操作者"),
    "col.backend": ("Backend", "引擎"),
    "col.model_id": ("Model", "模型"),
    "col.model_version": ("Model version", "模型版本"),
    "col.language": ("Language", "语言"),
    "col.intent": ("Intent", "意图"),
    "col.raw_output": ("Raw model output", "模型原始输出"),
    "col.seq": ("Record", "记录号"),
    "col.hash": ("Record hash", "记录哈希"),
    "col.code": ("Code", "编码"),
    "col.name": ("Name", "名称"),
    # ---------------------------------------------------------------- cases page
    "cases.title": ("Cases", "病例列表"),
    "cases.search": ("Search", "搜索"),
    "cases.search_hint": (
        "Case id, title, tag, original file name, question or answer text, finding, sign code…",
        "病例号、标题、标签、原文件名、问题或回答文字、发现、征象编码……",
    ),
    "cases.filters": ("Filters and sorting", "筛选与排序"),
    "cases.finding": ("Finding label contains", "发现标签包含"),
    "cases.sign": ("Sign met (code)", "符合的征象（编码）"),
    "cases.dates": ("Created between", "创建日期范围"),
    "cases.sort": ("Sort", "排序"),
    "cases.has_conversations": ("Has conversations", "有对话"),
    "cases.backend": ("Answered by backend", "应答引擎"),
    "cases.verdict": ("Reviewer verdict", "审核判断"),
    "cases.warnings": ("Intake warnings", "导入警告"),
    "cases.empty": (
        "No cases match. Import radiographs below, or build the demo database with `casebook demo`.",
        "没有匹配的病例。可在下方导入影像，或运行 `casebook demo` 生成演示数据库。",
    ),
    "pager.previous": ("◀ Previous", "◀ 上一页"),
    "pager.next": ("Next ▶", "下一页 ▶"),
    "pager.position": (
        "Page {page} of {pages} · {total} cases",
        "第 {page} / {pages} 页 · 共 {total} 例",
    ),
    "upload.title": ("Import radiographs", "导入影像"),
    "upload.hint": (
        "DICOM CR/DX, PNG or JPEG. Files are de-identified on import; each file is imported on its own, so one refused file stops nothing.",
        "支持 DICOM CR/DX、PNG、JPEG。导入时去标识化；逐个文件导入，单个文件被拒不影响其他文件。",
    ),
    "upload.files": ("Files", "文件"),
    "upload.spacing": (
        "Pixel spacing of PNG/JPEG files (mm, 0 = unknown)",
        "PNG/JPEG 像素间距（毫米，0 表示未知）",
    ),
    "upload.spacing_help": (
        "DICOM files carry their own calibration. Without a spacing, distances are given in pixels or as labelled estimates.",
        "DICOM 文件自带标定。无像素间距时，距离以像素或标注的估计值给出。",
    ),
    "upload.button": ("Import", "导入"),
    "upload.progress": ("Importing…", "正在导入……"),
    "upload.summary": (
        "Imported {imported}, already stored {existing}, refused {refused}.",
        "已导入 {imported}，已存在 {existing}，被拒 {refused}。",
    ),
    "upload.status.imported": ("imported", "已导入"),
    "upload.status.existing": ("already stored", "已存在"),
    "upload.status.refused": ("refused", "被拒"),
    "upload.spacing_ignored": (
        "already stored with {stored}; this upload's {asked} was not applied (a stored image's spacing never changes)",
        "该影像已以 {stored} 存储；本次上传的 {asked} 未被采用（已存储影像的像素间距不会更改）",
    ),
    "upload.issues_for": ("Intake notes for {name}", "{name} 的导入提示"),
    "upload.clear": ("Clear the results", "清除结果"),
    # ---------------------------------------------------------------- case page
    "case.title_none": ("Open a case", "打开病例"),
    "case.title": ("Case {case}", "病例 {case}"),
    "case.no_image": ("This case has no image.", "此病例没有影像。"),
    "case.calibration": (
        "{row} × {col} mm/px ({source})",
        "{row} × {col} 毫米/像素（{source}）",
    ),
    "case.no_calibration": (
        "no pixel spacing: distances in pixels or estimated",
        "无像素间距：距离以像素或估计值表示",
    ),
    "case.view_unknown": ("view not recorded", "体位未记录"),
    "case.imported": ("imported by {actor} on {time}", "{actor} 于 {time} 导入"),
    "case.backend": ("Answer engine", "应答引擎"),
    "case.backend_help": (
        "Only engines that can run on this server are listed; the choice is recorded on the conversation.",
        "仅列出本服务器可运行的引擎；所选引擎将记录在对话中。",
    ),
    "case.engine": (
        "Engine: {backend} · {model} {version}",
        "引擎：{backend} · {model} {version}",
    ),
    "case.backend_gone": (
        "The {backend} engine of this conversation cannot run here now; you can read it but not continue it.",
        "此对话使用的 {backend} 引擎当前无法运行；可以查看但不能继续提问。",
    ),
    "case.after_turn": ("Overlay after turn", "叠加显示至第几轮"),
    "case.after_turn_one": ("Overlay after turn 1", "叠加显示：第 1 轮后"),
    "case.layers": ("Layers", "图层"),
    "case.selected_anchor": ("Selected anchor", "选中的锚点"),
    "case.no_anchor": ("none", "无"),
    "case.zoom": ("Zoom", "放大"),
    "case.zoom_help": (
        "Show the region around the selected anchor, or around the finding the turn is about.",
        "放大显示选中锚点周围区域，未选中时放大本轮讨论的病灶。",
    ),
    "case.box_label": ("Label for the next box you draw", "下一个框的标签"),
    "case.box_label_help": (
        "Draw a box on the image with the mouse. You can ask about it (“What is in this region?”) or, as a reviewer, save it as an annotation.",
        "用鼠标在影像上画框。可以就该框提问（“这个区域是什么？”），审核者也可将其保存为标注。",
    ),
    "case.legend": (
        "Light blue: screening regions · blue outline: refined contour (yellow ticks: notches at clock positions; white strokes: spicules) · dashed yellow: centre-to-hilum distance · orange: gap · yellow grid: no connecting strand · green: reader boxes (dashed: saved reviewer annotations).",
        "浅蓝：初筛区域 · 蓝色轮廓：细化病灶轮廓（黄色短线：钟点方向切迹；白色短线：毛刺）· 黄色虚线：病灶中心至肺门距离 · 橙色：间隙 · 黄色网格：未见连接 · 绿色：阅片者框（虚线：已保存的审核标注）。",
    ),
    "case.draw_hint": (
        "Tip: draw a box on the image to ask about it or to annotate it.",
        "提示：在影像上画框可就其提问或进行标注。",
    ),
    "case.open_replay": ("Replay this conversation turn by turn", "逐轮回放此对话"),
    "anchors.none": (
        "No anchors yet: ask a question about the image.",
        "尚无锚点：请就影像提问。",
    ),
    "anchors.pick_hint": (
        "Select an anchor in the list or above the image to see its details.",
        "在列表或影像上方选择锚点以查看详情。",
    ),
    "anchor.centre": ("Centre", "中心"),
    "anchor.box": ("Bounding box", "外接框"),
    "anchor.notches": ("Notches (clock)", "切迹（钟点）"),
    "anchor.spicules": ("Spicules", "毛刺"),
    "anchor.measurements": ("Measurements with this anchor", "涉及此锚点的测量"),
    "annotations.none": (
        "No reviewer annotations on this image yet.",
        "此影像尚无审核标注。",
    ),
    "box.title": ("Box drawn", "已画框"),
    "box.ask_hint": (
        "Your next question can be about this box (switch below the conversation).",
        "下一个问题可以针对此框（开关在对话框下方）。",
    ),
    "box.about_anchor": ("About AI anchor", "针对的 AI 锚点"),
    "box.no_anchor": ("none", "无"),
    "box.verdict": ("Verdict", "判断"),
    "box.no_verdict": ("no verdict", "不作判断"),
    "box.note": ("Note (optional)", "备注（可选）"),
    "box.save": ("Save as annotation", "保存为标注"),
    "box.saved": ("Saved annotation {tag}.", "已保存标注 {tag}。"),
    "box.discard": ("Discard the box", "丢弃此框"),
    "box.default_label": ("region", "区域"),
    "box.no_annotate_right": (
        "Only reviewers save annotations.",
        "仅审核者可保存标注。",
    ),
    "chat.placeholder": (
        "Ask about this image (中文 or English)…",
        "就此影像提问（中文或 English）……",
    ),
    "chat.read_only": (
        "Your role reads conversations but does not ask.",
        "您的角色可查看对话但不能提问。",
    ),
    "chat.ask_about_box": ("Ask about the box I drew", "就我画的框提问"),
    "chat.label": ("Question about this image", "就此影像提问"),
    "chat.send": (
        "Send (Enter; Shift+Enter for a new line)",
        "发送（回车；Shift+回车换行）",
    ),
    "chat.sending": ("Sending {count}…", "正在发送 {count} 条……"),
    "chat.too_long": (
        "{count} of {max} characters: shorten the question to send it",
        "{count}/{max} 字符：请缩短问题后再发送",
    ),
    "chat.refused_long": (
        "A question of {count} characters was not sent: the limit is {max}. Shorten it and ask again.",
        "有一个问题长 {count} 字符，未发送：上限为 {max}。请缩短后重新提问。",
    ),
    "chat.refused_state": (
        "The question box sent something unreadable ({reason}); reload the page and ask again.",
        "提问框发送的内容无法读取（{reason}）；请刷新页面后重新提问。",
    ),
    "chat.empty": (
        "No questions yet. Try “Is there anything abnormal in the lungs?” or “肺部是否有异常?”",
        "尚无提问。可尝试“肺部是否有异常?”或“Is there anything abnormal in the lungs?”",
    ),
    "chat.asked_by": ("{actor} · {time}", "{actor} · {time}"),
    "chat.about_box": (
        "about the box “{label}” {box} px",
        "针对框“{label}” {box} 像素",
    ),
    "chat.turn": ("Turn {number}", "第 {number} 轮"),
    "transcript.question": ("Question", "提问"),
    "transcript.answer": ("Answer", "回答"),
    "transcript.warning": ("Warning", "警告"),
    "chat.failed": (
        "Not answered, and nothing was stored: the reason is at the top of the page.",
        "未能回答，未保存任何内容：原因见页面顶部。",
    ),
    "chat.queued": (
        "Waiting: answered after the questions before it, in this conversation.",
        "排队中：将在此前的问题之后、在本对话中回答。",
    ),
    "chat.thinking": (
        "Analysing… (the first question on an image takes longest)",
        "正在分析……（每张影像的第一个问题耗时最长）",
    ),
    # ---------------------------------------------------------------- pickers
    "pick.case": ("Case", "病例"),
    "pick.case_hint": ("Choose a case", "选择病例"),
    "pick.conversation": ("Conversation", "对话"),
    "pick.new_conversation": ("＋ New conversation", "＋ 新建对话"),
    "pick.image": ("Image", "影像"),
    # ---------------------------------------------------------------- replay
    "replay.title_none": ("Replay a conversation", "回放对话"),
    "replay.no_conversations": (
        "This case has no conversations yet.",
        "此病例尚无对话。",
    ),
    "replay.title": (
        "Replay · case {case} · conversation #{conversation}",
        "回放 · 病例 {case} · 对话 #{conversation}",
    ),
    "replay.no_turns": ("This conversation has no turns yet.", "此对话尚无提问。"),
    "replay.previous": ("◀ Previous", "◀ 上一轮"),
    "replay.next": ("Next ▶", "下一轮 ▶"),
    "replay.turn": ("Turn", "轮次"),
    "replay.position": ("Turn {turn} of {count}", "第 {turn} 轮 / 共 {count} 轮"),
    "replay.open_case": ("Open this case at this turn", "在病例页打开此轮"),
    "quiz.mode": ("Quiz mode", "测验模式"),
    "quiz.help": (
        "Hides the turn's answer and anchors until you draw where you think the answer lies.",
        "先隐藏本轮回答和锚点，待您画出答案所在位置后再揭示。",
    ),
    "quiz.instructions": (
        "Quiz: read the question, then draw a box where you think the answer lies.",
        "测验：阅读问题，然后在您认为答案所在处画框。",
    ),
    "quiz.answer_hidden": (
        "The answer is hidden until you draw your box.",
        "画框之前隐藏回答。",
    ),
    "quiz.no_target": (
        "This turn points at nothing on the image (no finding, landmark or reviewer box); step to another turn.",
        "本轮未指向影像上的任何位置（无发现、解剖标志或审核框）；请切换到其他轮次。",
    ),
    "quiz.draw_first": ("Draw a box on the image first.", "请先在影像上画框。"),
    "quiz.score_against": ("Score against", "评分依据"),
    "quiz.target_anchor": ("AI anchor {id}: {label}", "AI 锚点 {id}：{label}"),
    "quiz.target_annotation": (
        "Reviewer annotation {tag} by {author}: {label}",
        "审核标注 {tag}（{author}）：{label}",
    ),
    "quiz.check": ("Check my box", "检查我的框"),
    "quiz.your_box": ("your box", "您的框"),
    "quiz.iou": ("IoU", "IoU"),
    "quiz.centre_hit": ("Centre hit", "命中中心"),
    "quiz.centre_distance": ("Centre distance", "中心距离"),
    "quiz.yes": ("yes", "是"),
    "quiz.no": ("no", "否"),
    "quiz.passed": ("Well placed", "定位准确"),
    "quiz.not_passed": ("Not quite", "尚不准确"),
    "quiz.summary": (
        "{verdict}: compared with {target} (passing needs the target's centre inside your box and IoU ≥ {threshold}).",
        "{verdict}：与 {target} 比较（通过需目标中心落在您的框内且 IoU ≥ {threshold}）。",
    ),
    "quiz.again": ("Try again", "再试一次"),
    # ---------------------------------------------------------------- compare
    "compare.title": ("Compare two conversations", "对比两个对话"),
    "compare.need_two": (
        "This case needs at least two conversations to compare.",
        "此病例至少需要两个对话才能对比。",
    ),
    "compare.run_a": ("Conversation A", "对话 A"),
    "compare.run_b": ("Conversation B", "对话 B"),
    "compare.same": ("A and B are the same conversation.", "A 与 B 是同一个对话。"),
    "compare.other_image": (
        "A and B are about different images of this case; overlays are not comparable pixel for pixel.",
        "A 与 B 针对此病例的不同影像，叠加图无法逐像素对比。",
    ),
    "compare.after_turn": ("After turn", "截至轮次"),
    "compare.legend": (
        "Glowing anchors have no counterpart in the other conversation.",
        "发光的锚点在另一对话中没有对应。",
    ),
    "compare.anchors": (
        "Anchors matched by overlap and centre distance",
        "按重叠度和中心距离匹配的锚点",
    ),
    "compare.matched": ("matched", "已匹配"),
    "compare.only_a": ("only in A", "仅 A"),
    "compare.only_b": ("only in B", "仅 B"),
    "compare.centre_distance": ("Centre distance", "中心距离"),
    "compare.difference_mm": ("B − A (mm)", "B − A（毫米）"),
    "compare.score_summary": (
        "{different} of {total} items differ ({a} / {b}).",
        "{total} 项中有 {different} 项不同（{a} / {b}）。",
    ),
    "compare.turns": ("Turn by turn", "逐轮对照"),
    "compare.different_question": ("different questions", "问题不同"),
    "compare.question": ("Question", "问题"),
    "compare.answer": ("Answer", "回答"),
    # ---------------------------------------------------------------- audit
    "audit.title": ("Audit", "审计"),
    "audit.intro": (
        "Every turn as recorded in the tamper-evident audit chain: who asked, when, which engine and model answered, how long it took and what the model wrote.",
        "防篡改审计链中记录的每一轮：谁提问、何时、哪个引擎和模型回答、耗时以及模型原始输出。",
    ),
    "audit.checking": ("Checking the audit chain…", "正在校验审计链……"),
    "audit.pass": (
        "Integrity check passed: {records} audit records and {entities} stored records verified; chain head #{head} ({hash}…), checked at {time}.",
        "完整性校验通过：已核验 {records} 条审计记录与 {entities} 条存储记录；链头 #{head}（{hash}…），校验时间 {time}。",
    ),
    "audit.fail": (
        "Integrity check FAILED ({kind}): {message}. Checked at {time}. Preserve the database and tell the administrator.",
        "完整性校验失败（{kind}）：{message}。校验时间 {time}。请保留数据库并通知管理员。",
    ),
    "audit.recheck": ("Check again", "重新校验"),
    "audit.filters": ("Filters", "筛选"),
    "audit.text": (
        "Text in question, answer or raw output",
        "问题、回答或原始输出中的文字",
    ),
    "audit.text_help": (
        "Plain text match, not case-sensitive.",
        "普通文字匹配，不区分大小写。",
    ),
    "audit.window": ("Newest records loaded", "载入最新记录数"),
    "audit.window_help": (
        "How many of the newest audit records this page reads.",
        "本页读取的最新审计记录数量。",
    ),
    "audit.window_note": (
        "Records before #{first} are not loaded on this page; raise the number of records loaded to see them.",
        "#{first} 之前的记录未在本页载入；增大载入数量即可查看。",
    ),
    "audit.turns": (
        "Turns: {shown} shown of {total}",
        "轮次：显示 {shown} / 共 {total}",
    ),
    "audit.latency_ms": ("Latency (ms)", "耗时（毫秒）"),
    "audit.download": ("Download the filtered table (CSV)", "下载筛选后的表格（CSV）"),
    "audit.download_help": (
        "The export itself is recorded in the audit log.",
        "导出操作本身也会记入审计日志。",
    ),
    "audit.tab_charts": ("Charts", "图表"),
    "audit.tab_annotations": ("Reviewer annotations", "审核标注"),
    "audit.tab_records": ("All audit records", "全部审计记录"),
    "audit.records_note": (
        "Newest first; every record names its actor.",
        "最新在前；每条记录均注明操作者。",
    ),
    "audit.chart_turns": ("Turns over time by backend", "按引擎统计的轮次随时间变化"),
    "audit.chart_latency": (
        "What readers waited by backend (image analysis + turn)",
        "各引擎下阅片者的等待时间（影像分析 + 本轮）",
    ),
    "audit.waited_ms": ("Waited (ms)", "等待（毫秒）"),
    "audit.chart_status": ("Scorecard items by status", "评分卡各状态项数"),
    "audit.chart_agreement": (
        "Reviewer agreement (IoU) by backend and model version",
        "按引擎与模型版本的审核一致性（IoU）",
    ),
    "audit.turn_count": ("turns", "轮次"),
    "audit.engine": ("backend and model version", "引擎与模型版本"),
    "audit.no_data": ("No data for these filters.", "当前筛选无数据。"),
    "audit.no_agreement": (
        "No reviewer box compares with an AI anchor yet (a saved box about an anchor or a turn).",
        "尚无可与 AI 锚点比较的审核框（需针对锚点或轮次保存的框）。",
    ),
    # ---------------------------------------------------------------- ontology
    "ontology.title": ("Sign ontology", "征象本体"),
    "ontology.intro": (
        "{signs} chest radiograph signs and {profiles} scorecard profiles, in Chinese and English, with RadLex codes where RadLex has them.",
        "共 {signs} 个胸片征象和 {profiles} 个评分方案，中英文对照，并附 RadLex 编码（如有）。",
    ),
    "ontology.signs": ("Signs", "征象"),
    "ontology.profiles": ("Scorecard profiles", "评分方案"),
    "ontology.search": ("Search signs", "搜索征象"),
    "ontology.search_hint": (
        "spiculation, 分叶, A14, RID…",
        "毛刺、lobulation、A14、RID……",
    ),
    "ontology.category": ("Category", "类别"),
    "ontology.count": ("{shown} of {total} signs", "{shown} / {total} 个征象"),
    "ontology.other_language": ("Other language", "另一语言"),
    "ontology.assessable": ("On a radiograph", "胸片可评估性"),
    "ontology.pick_hint": (
        "Select a sign to see its pattern, meaning, rule and sources.",
        "选择一个征象以查看其表现、意义、规则与来源。",
    ),
    "ontology.pattern": ("Visual pattern:", "影像表现："),
    "ontology.meaning": ("Clinical meaning:", "临床意义："),
    "ontology.synonyms": ("Synonyms", "同义词"),
    "ontology.locations": ("Typical locations", "常见部位"),
    "ontology.no_location.anywhere": (
        "no predilection: wherever the lesion or device lies",
        "无好发部位：随病变或装置所在",
    ),
    "ontology.no_location.varies_with_cause": (
        "depends on the cause or subtype",
        "随病因或亚型而异",
    ),
    "ontology.no_location.diffuse": ("diffuse, through both lungs", "弥漫分布于双肺"),
    "ontology.no_location.distribution": (
        "the sign is itself a distribution",
        "该征象本身即为分布形式",
    ),
    "ontology.no_location.whole_film": (
        "a property of the whole film or its technique",
        "属整张影像或投照技术的特征",
    ),
    "ontology.no_location.outside_anatomy_map": (
        "in structures the anatomy map has no region for (bones, chest wall, soft tissue, fissures)",
        "位于解剖分区未覆盖的结构（骨骼、胸壁、软组织、叶间裂等）",
    ),
    "ontology.rule": ("Rule on engine features", "引擎特征规则"),
    "ontology.no_rule": ("none (not measured by the engine)", "无（引擎不测量）"),
    "ontology.sources": ("Sources", "来源"),
    "ontology.profile": ("Profile", "方案"),
    "ontology.limitations": ("Limitations:", "局限性："),
    # ---------------------------------------------------------------- settings
    "settings.title": ("Settings", "设置"),
    "settings.intro": (
        "Changes are audited and kept in {path}.",
        "更改会记入审计日志并保存在 {path}。",
    ),
    "settings.default_backend": (
        "Default answer engine for new conversations",
        "新对话的默认应答引擎",
    ),
    "settings.unavailable": ("cannot run here", "本机无法运行"),
    "settings.quiz_iou": ("Quiz: IoU needed to pass", "测验：通过所需 IoU"),
    "settings.quiz_iou_help": (
        "The learner's box must also contain the target's centre.",
        "学员的框还须包含目标中心。",
    ),
    "settings.page_size": ("Cases per page", "每页病例数"),
    "settings.save": ("Save", "保存"),
    "settings.saved": (
        "Saved {n} change(s); each is in the audit log.",
        "已保存 {n} 项更改，均已记入审计日志。",
    ),
    "settings.backends": ("Answer engines on this server", "本服务器的应答引擎"),
    # ---------------------------------------------------------------- read-only conversations
    "owner.read_only": (
        "Conversation #{id} is {owner}'s and read-only for you. Asking here starts a new conversation of your own.",
        "对话 #{id} 属于 {owner}，您只能查看。在此提问将开始一个属于您的新对话。",
    ),
    "owner.marked": (
        "Conversation #{id} is kept for {purpose} and is read-only. Asking here starts a new conversation.",
        "对话 #{id} 已留作{purpose}，只读。在此提问将开始一个新对话。",
    ),
    "owner.purpose.teaching": ("teaching", "教学"),
    "owner.purpose.qa": ("quality assurance", "质控"),
    "owner.seed": (
        "Start the new conversation from its questions",
        "新对话从该对话的问题开始",
    ),
    "owner.seed_help": (
        "The engine answers that conversation's questions again in your new conversation, then yours.",
        "引擎会在您的新对话中重新回答该对话的问题，再回答您的问题。",
    ),
    "owner.placeholder": (
        "Ask: starts a new conversation of your own",
        "提问：将开始一个属于您的新对话",
    ),
    "owner.started": (
        "Started conversation #{id} (your own); #{source} stays as it was.",
        "已开始对话 #{id}（属于您）；#{source} 保持原样。",
    ),
    "owner.title": ("Continues #{source}", "续自 #{source}"),
    "owner.mark": ("Keep for", "保留用途"),
    "owner.mark_none": ("nothing (owner may continue)", "无（作者可继续）"),
    "owner.mark_help": (
        "A conversation kept for teaching or QA is read-only for everyone, its author included.",
        "留作教学或质控的对话对所有人只读，包括作者。",
    ),
    # ---------------------------------------------------------------- worklist
    "col.thumbnail": ("Film", "胶片"),
    "col.title": ("Title", "标题"),
    "col.tags": ("Tags", "标签"),
    "col.leading": ("Leading finding", "主要发现"),
    "col.review": ("Review", "审阅"),
    "col.source_file": ("Original file", "原文件"),
    "review.unreviewed": ("unreviewed", "未审阅"),
    "review.reviewed": ("reviewed", "已审阅"),
    "review.teaching": ("teaching", "教学"),
    "cases.review_status": ("Review status", "审阅状态"),
    "cases.tag": ("Tag", "标签"),
    "cases.no_warnings": ("none", "无"),
    "calibration.PixelSpacing": (
        "pixel spacing (at the patient)",
        "像素间距（患者平面）",
    ),
    "calibration.ImagerPixelSpacing": (
        "imager pixel spacing (at the detector)",
        "成像器像素间距（探测器平面）",
    ),
    "calibration.ImagerPixelSpacing+ERMF": (
        "imager pixel spacing corrected for magnification",
        "经放大率校正的成像器像素间距",
    ),
    "calibration.user": ("spacing given at import", "导入时给定的间距"),
    "calibration.estimated": (
        "estimated from typical anatomy (±15 %)",
        "按典型解剖估计（±15 %）",
    ),
    "calibration.none": ("no calibration: pixels only", "无标定：仅像素"),
    "labels.title": ("Title, tags and review status", "标题、标签与审阅状态"),
    "labels.case_title": ("Title", "标题"),
    "labels.tags": ("Tags (comma separated)", "标签（用逗号分隔）"),
    "labels.status": ("Review status", "审阅状态"),
    "labels.save": ("Save labels", "保存"),
    "labels.saved": (
        "Saved; the change is in the audit log.",
        "已保存，已记入审计日志。",
    ),
    "labels.read": (
        "{title} · tags: {tags} · {status}",
        "{title} · 标签：{tags} · {status}",
    ),
    # ---------------------------------------------------------------- viewer
    "viewer.pan": ("Pan", "平移"),
    "viewer.pan_help": (
        "Drag to move the film; the wheel zooms about the pointer; double-click resets.",
        "拖动移动影像；滚轮以指针为中心缩放；双击复位。",
    ),
    "viewer.wl": ("W/L", "窗宽/窗位"),
    "viewer.wl_help": (
        "Drag: right widens the window, down raises the level (the right button always does this).",
        "拖动：向右加宽窗宽，向下提高窗位（右键拖动始终调节窗宽窗位）。",
    ),
    "viewer.zoom_in": ("Zoom in", "放大"),
    "viewer.zoom_out": ("Zoom out", "缩小"),
    "viewer.reset": ("Reset", "复位"),
    "viewer.reset_help": ("Whole film, full window.", "整幅影像，全窗。"),
    "viewer.readout": (
        "W {w} · L {l} · {z}× · {p} screen px per pixel",
        "窗宽 {w} · 窗位 {l} · {z}× · 每像素 {p} 屏幕像素",
    ),
    "viewer.preset.full": ("Full", "全窗"),
    "viewer.preset.full_help": (
        "The film as the file presents it.",
        "按文件原始显示。",
    ),
    "viewer.preset.lung": ("Lung", "肺窗"),
    "viewer.preset.lung_help": (
        "Spreads the darker values: vessels and nodules within the lungs.",
        "拉开较暗的灰阶：肺内血管与结节。",
    ),
    "viewer.preset.mediastinum": ("Mediastinum", "纵隔窗"),
    "viewer.preset.mediastinum_help": (
        "Spreads the brighter soft-tissue values: heart borders, hila, behind the heart.",
        "拉开较亮的软组织灰阶：心缘、肺门、心后区。",
    ),
    "viewer.preset.bone": ("Bone", "骨窗"),
    "viewer.preset.bone_help": (
        "Spreads the brightest values: ribs, clavicles, spine.",
        "拉开最亮的灰阶：肋骨、锁骨、脊柱。",
    ),
    "case.mode": ("Image", "影像"),
    "case.mode.view": ("View (window, zoom)", "查看（窗宽窗位、缩放）"),
    "case.mode.draw": ("Draw a box", "画框"),
    # ---------------------------------------------------------------- quiz
    "quiz.scored_truth": (
        "Scored against the reviewer's ground truth: {target}.",
        "以审阅者标注（金标准）评分：{target}。",
    ),
    "quiz.scored_ai": (
        "No reviewer annotation marks this turn: scored against the AI's anchor {target}, which is not ground truth.",
        "此轮没有审阅者标注：以 AI 锚点 {target} 评分，它不是金标准。",
    ),
    "quiz.history": (
        "Your quiz results: {passed} of {total} well placed",
        "您的测验记录：{total} 次中 {passed} 次定位准确",
    ),
    "quiz.against": ("Scored against", "评分依据"),
    "quiz.truth": ("reviewer (ground truth)", "审阅者（金标准）"),
    "quiz.ai": ("AI anchor", "AI 锚点"),
    "quiz.result": ("Result", "结果"),
    # ---------------------------------------------------------------- words, not codes
    "ontology.shared_sources": (
        "Every sign draws on: {sources}. Each sign below lists its own sources as well.",
        "所有征象均参考：{sources}。以下每个征象另列其专属来源。",
    ),
    "ontology.only_shared": (
        "the vocabulary's shared sources (above)",
        "词表的通用来源（见上）",
    ),
    "pick.image_label": (
        "{n}: {modality} {view} · {date}",
        "{n}：{modality} {view} · {date}",
    ),
    "deid.title": ("De-identification report", "去标识化报告"),
    "deid.none": (
        "No report: this image was imported before reports were kept.",
        "无报告：此影像导入时尚未记录去标识化报告。",
    ),
    "deid.method": ("Method: {method}", "方法：{method}"),
    "deid.removed": ("Removed attributes", "已删除的属性"),
    "deid.replaced": ("Replaced attributes", "已替换的属性"),
    "deid.emptied": ("Emptied attributes", "已清空的属性"),
    "deid.dropped": ("Free text removed from", "已删除自由文本的属性"),
    "deid.pixels": (
        "Burned-in text search: {policy}; searched: {searched}; {boxes} region(s) blanked.",
        "烧录文字检测：{policy}；已检测：{searched}；涂黑 {boxes} 处。",
    ),
    # ---------------------------------------------------------------- compare
    "compare.pair": (
        "A turn {a} ↔ B turn {b}: the same question (intent and place)",
        "A 第 {a} 轮 ↔ B 第 {b} 轮：同一问题（意图与部位）",
    ),
    "compare.only_in": (
        "Asked only in {run}: turn {number}",
        "仅在 {run} 中提问：第 {number} 轮",
    ),
    "compare.item": ("Anchor or measurement", "锚点或测量"),
    # ---------------------------------------------------------------- quantities
    # services/quantities.py: every length a person reads, an estimate said as one.
    "quantity.estimated": (
        "≈ {value} mm (estimated ±{error} %)",
        "约 {value} mm（估计值，±{error} %）",
    ),
    "quantity.interval": (
        "{value} mm (long axis {low}–{high} mm)",
        "{value} mm（长径 {low}–{high} mm）",
    ),
    "quantity.pixels": ("{value} px", "{value} 像素"),
}


def text(key: str, lang: Language, **values: Any) -> str:
    """Return the string ``key`` in ``lang`` (``en`` or ``zh``), formatted with ``values``.

    A missing key returns the key itself, so a gap shows on the page instead of failing it.
    """
    pair = STRINGS.get(key)
    if pair is None:
        return key
    template = pair[1] if lang == "zh" else pair[0]
    return template.format(**values) if values else template
