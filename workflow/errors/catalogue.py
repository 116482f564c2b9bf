"""Every refusal the product makes: its stable code, HTTP status, field and both wordings.

One class per code; raise it, or one of its wordings, and catch it by class:

    raise errors.InvalidParent.wrong_level(level=..., expected=..., parent_code=..., ...)
    except errors.InvalidParent: ...

The status comes from the base (DomainError 422, NotFound 404, Conflict 409,
NotAuthenticated 401, AccessDenied 403, TooLarge 413); `field` is the field the code
usually concerns (a raise may name another); `detail_fields` are the keyword fields the
problem document reports as `details`. Templates are str.format over the keyword fields
(and `field`); `{x:list}` joins a list with ", " (`{x:list、}` with "、"), and `|word`
after a spec writes word for an empty value. `exit-tracker errors` prints this catalogue.
"""

from __future__ import annotations

from workflow.errors.base import AccessDenied, Conflict, DomainError, NotAuthenticated, NotFound, Text, TooLarge, TooManyRequests

# ---- moments, dates and text from outside ---------------------------------------------


class NaiveDatetime(DomainError):
    code = "naive_datetime"
    text = Text("{field} must carry its UTC offset, e.g. 2017-07-01T10:00:00+08:00", "{field} 必须带时区偏移,如 2017-07-01T10:00:00+08:00")


class InvalidDatetime(DomainError):
    code = "invalid_datetime"
    text = Text(
        "{field} must be ISO 8601 text with its offset, e.g. 2017-07-01T10:00:00+08:00",
        "{field} 应为带时区偏移的 ISO 8601 时间文本,如 2017-07-01T10:00:00+08:00",
    )


class MomentOutOfRange(DomainError):
    code = "moment_out_of_range"
    text = Text("{field} must fall from {earliest} to {latest} (UTC)", "{field} 须在 {earliest} 至 {latest}(UTC)之间")


class InvalidDate(DomainError):
    code = "invalid_date"
    text = Text("{field} must be an ISO 8601 date, e.g. 2017-07-01", "{field} 应为 ISO 8601 日期,如 2017-07-01")


class DateOutOfRange(DomainError):
    code = "date_out_of_range"
    text = Text("{field} must fall from {earliest} to {latest}", "{field} 须在 {earliest} 至 {latest} 之间")


class NulCharacter(DomainError):
    code = "nul_character"
    text = Text("text cannot contain the NUL character (\\u0000); found in {field}", "文本中不能含有空字符(NUL):{field}")


class OccurredInFuture(DomainError):
    code = "occurred_in_future"
    field = "occurred_at"
    text = Text("occurred_at {occurred_at} is in the future (server time {now})", "发生时间 {occurred_at} 晚于服务器当前时间 {now}")


class InvalidCursor(DomainError):
    code = "invalid_cursor"
    field = "cursor"
    unknown = Text("the cursor is not one this list returned", "cursor 无效")
    stale = Text("the cursor is not one this list returned; start again without it", "cursor 无效,请不带 cursor 从第一页重新开始")


class MissingField(DomainError):
    code = "missing_field"
    text = Text("{field} is required", "缺少必填项 {field}")
    lodged_by = Text("who lodged the objection is required", "须填写异议人", field="lodged_by")
    grounds = Text("the grounds of the objection is required", "须填写异议理由", field="grounds")


class ReasonRequired(DomainError):
    code = "reason_required"
    field = "reason"
    account_revoked = Text("say why the account is revoked", "请说明注销原因")
    visit_voided = Text("say why the visit is voided", "作废走访记录须说明理由")
    objection_resolved = Text("the finding on the objection is required", "须填写核实处理意见", field="resolution")
    exit_rejected = Text("the reason for rejecting is required", "须填写否决理由")
    relapse = Text("the reason for the relapse is required", "须填写返贫原因")


class InvalidValue(DomainError):
    code = "invalid_value"
    not_text = Text("{field} must be text", "{field} 应为文本")
    not_a_date = Text("{field}: '{cell}' is not a date such as 2017-06-01", "{field}:'{cell}' 不是有效日期,应如 2017-06-01")
    not_a_count = Text("{field}: '{cell}' is not a whole number of zero or more", "{field}:'{cell}' 应为不小于 0 的整数")
    not_a_level = Text("{field}: '{cell}' is not a level: {levels:list}", "{field}:'{cell}' 不是层级,应为 {levels:list、}")
    not_a_role = Text("{field}: '{cell}' is not a role of the rule book (the template's 说明 sheet lists them)", "{field}:'{cell}' 不是规则中的职务(见模板的说明表)")
    not_a_gender = Text("{field}: '{cell}' is not 男 or 女", "{field}:'{cell}' 应为 男 或 女")
    id_too_long = Text("ids are at most 64 characters", "编号不能超过 64 个字符", field="id")
    nested = Text("{field} must be text or a number, not a list or an object", "{field} 应为文本或数字,不能是数组或对象")


class InvalidDates(DomainError):
    code = "invalid_dates"
    end_before_start = Text("end_date {end_date} is before start_date {start_date}", "结束日期 {end_date} 早于开始日期 {start_date}", field="end_date")
    exit_before_designation = Text(
        "exited_on {exited_on} is before the designation began on {registered_on}", "结束日期 {exited_on} 早于认定开始日期 {registered_on}", field="exited_on"
    )
    exit_before_registration = Text(
        "exited_on {exited_on} is before the household was registered on {registered_on}", "退出日期 {exited_on} 早于建档立卡日期 {registered_on}", field="exited_on"
    )
    exit_in_future = Text("exited_on {exited_on} is after today ({today})", "退出日期 {exited_on} 晚于今天({today})", field="exited_on")
    from_after_as_of = Text("from {start} is after as_of {as_of}", "起始日期 {start} 晚于 as_of {as_of}", field="from")


# ---- rule books -----------------------------------------------------------------------


class NoRuleBook(DomainError):
    code = "no_rule_book"
    field = "date"
    text = Text("{reason}", "{on} 没有生效的规则")


class NoPovertyLine(DomainError):
    code = "no_poverty_line"
    field = "occurred_at"
    text = Text("{reason}", "规则 {book} 未规定 {year} 年的贫困线")


class ProcedureNotSupported(DomainError):
    code = "procedure_not_supported"
    field = "rule_book"
    text = Text(
        "rule book {book} takes a {level} exit through {found:list → }; the {level} procedure here goes through {expected:list → }",
        "规则 {book} 的{level}退出步骤({found:list → })与本系统的退出程序({expected:list → })不符",
    )


# ---- records that are not there (or not in the caller's scope) ------------------------


class _Missing(NotFound):
    detail_fields = ("id",)


class OrgUnitNotFound(_Missing):
    code = "org_unit_not_found"
    text = Text("no org unit with id '{id}'", "未找到组织单位:{id}")


class PersonNotFound(_Missing):
    code = "person_not_found"
    text = Text("no person with id '{id}'", "未找到人员:{id}")


class HouseholdNotFound(_Missing):
    code = "household_not_found"
    text = Text("no household with id '{id}'", "未找到贫困户:{id}")


class PostNotFound(_Missing):
    code = "post_not_found"
    text = Text("no post with id '{id}'", "未找到职务:{id}")
    tenure = Text("no post with id '{id}'", "未找到任职:{id}")  # as the access scope words it


class PairingNotFound(_Missing):
    code = "pairing_not_found"
    text = Text("no pairing with id '{id}'", "未找到结对:{id}")


class UnitLinkNotFound(_Missing):
    code = "unit_link_not_found"
    text = Text("no unit link with id '{id}'", "未找到联系村:{id}")


class VisitNotFound(_Missing):
    code = "visit_not_found"
    text = Text("no visit with id '{id}'", "未找到走访记录:{id}")


class ExitCaseNotFound(_Missing):
    code = "exit_case_not_found"
    text = Text("no exit case with id '{id}'", "未找到退出案件:{id}")


class ObjectionNotFound(_Missing):
    code = "objection_not_found"
    text = Text("no objection with id '{id}'", "未找到异议:{id}")


class AccountNotFound(_Missing):
    code = "account_not_found"
    field = "account"
    text = Text("no account with id '{id}'", "未找到账号:{id}")


# ---- the org tree, people, households and registries ----------------------------------


class InvalidParent(DomainError):
    code = "invalid_parent"
    field = "parent_code"
    province = Text("a province has no parent unit", "省级单位没有上级单位")
    missing = Text("a {level} needs a parent {expected}", "{level_zh}必须有上级{expected_zh}")
    wrong_level = Text(
        "a {level} hangs under a {expected}, but '{parent_code}' is a {parent_level}",
        "{level_zh}的上级应为{expected_zh},而 '{parent_code}' 是{parent_level_zh}",
    )


class InvalidLevel(DomainError):
    code = "invalid_level"
    field = "level"
    top = Text("the top unit is a province or a city, not a {level}", "最高层级单位应为省或市,不能是{level_zh}")
    unknown = Text("unknown level '{level}'; valid: {valid:list}", "未知层级 '{level}';可用:{valid:list}")


class AlreadySetUp(Conflict):
    code = "already_set_up"
    field = "code"
    text = Text(
        "the tree already has its top unit {name} ({code}); add units under it, and accounts with `exit-tracker accounts create`",
        "已有最高层级单位 {name}({code});请在其下新增单位,用 `exit-tracker accounts create` 新增账号",
    )


class InvalidCode(DomainError):
    code = "invalid_code"
    field = "code"
    text = Text("unit code '{code}' must be letters and digits", "单位代码 '{code}' 只能由字母和数字组成")


class DuplicateCode(Conflict):
    code = "duplicate_code"
    field = "code"
    text = Text("unit code '{code}' is already in use", "单位代码 '{code}' 已被使用")


class InvalidName(DomainError):
    code = "invalid_name"
    field = "name"
    unit = Text("a unit needs a name", "单位名称不能为空")
    person = Text("a person needs a name", "姓名不能为空")
    household = Text("a household needs the name of its head", "户主姓名不能为空", field="head_name")
    account = Text("an account needs a name", "账号名称不能为空")


class InvalidPopulation(DomainError):
    code = "invalid_population"
    field = "rural_population"
    text = Text("rural population cannot be negative", "农村人口不能为负数")


class DuplicateId(Conflict):
    code = "duplicate_id"
    field = "id"
    person = Text(
        "person id '{id}' is already in use; a person who moves to your units keeps their id: give them a post there",
        "人员编号 '{id}' 已被使用;调入本辖区的人员沿用原编号,请为其任命职务",
    )
    household = Text("household '{id}' is already registered", "贫困户 '{id}' 已登记")
    post = Text("post id '{id}' is already in use", "职务编号 '{id}' 已被使用")
    visit = Text("visit id '{id}' is already in use", "走访编号 '{id}' 已被使用")
    exit_case = Text("exit case id '{id}' is already in use", "退出案件编号 '{id}' 已被使用")
    objection = Text("objection id '{id}' is already in use", "异议编号 '{id}' 已被使用")
    signature = Text("signature id '{id}' is already in use", "签字编号 '{id}' 已被使用")
    team = Text("team id '{id}' is already in use", "工作队编号 '{id}' 已被使用")


class InvalidGender(DomainError):
    code = "invalid_gender"
    field = "gender"
    text = Text("gender is 'male', 'female' or absent", "性别应为 male、female 或留空")


class InvalidVillage(DomainError):
    code = "invalid_village"
    field = "village"
    text = Text("'{code}' is a {level}, not a village", "'{code}' 不是村")


class InvalidId(DomainError):
    code = "invalid_id"
    field = "id"
    text = Text("a household needs its registry number", "贫困户需要登记编号")


class InvalidMembers(DomainError):
    code = "invalid_members"
    field = "members"
    text = Text("a household has at least one member", "家庭人口至少为 1")


class InvalidRegistry(DomainError):
    code = "invalid_registry"
    field = "kind"
    unknown = Text("unknown unit registry '{kind}'; valid: {valid:list}", "未知登记类别 '{kind}';可用:{valid:list}")
    wrong_level = Text(
        "registry '{kind}' is for a {kind_level}, but '{code}' is a {level}", "登记类别 '{kind}' 只适用于{kind_level_zh},而 '{code}' 是{level_zh}"
    )


class AlreadyRegistered(Conflict):
    code = "already_registered"
    field = "subject_id"
    text = Text("'{subject_id}' is already on the {kind} registry", "'{subject_id}' 已在登记中")


class OverlappingSpell(Conflict):
    code = "overlapping_spell"
    field = "registered_on"
    text = Text(
        "'{subject_id}' was on the {kind} registry until {ended}; a new spell starts after that day",
        "'{subject_id}' 的上一次登记截至 {ended},新的登记须从其后开始",
    )


class ExitCaseRequired(DomainError):
    code = "exit_case_required"
    field = "kind"
    text = Text(
        "a village or county leaves the {kind} registry only through its exit case (三签字); only concentrated_township is ended by command",
        "贫困村、贫困县只能经退出程序(三签字)退出登记;只有贫困人口集中乡镇的认定可直接结束",
    )


class NotATownship(DomainError):
    code = "not_a_township"
    field = "code"
    text = Text(
        "'{code}' is a {level}, not a township; a village or county leaves its registry only through an exit case",
        "'{code}' 是{level_zh},不是乡镇;村和县只能经退出程序退出登记",
    )


class NotRegistered(Conflict):
    code = "not_registered"
    field = "code"
    text = Text("'{code}' has no open {kind} designation to end", "'{code}' 目前没有可结束的贫困人口集中乡镇认定")


# ---- posts, pairings and links --------------------------------------------------------


class InvalidRole(DomainError):
    code = "invalid_role"
    field = "role"
    unknown = Text("unknown role '{role}'; known roles: {known:list}", "未知职务 '{role}';可用:{known:list}")
    of_account = Text(
        "roles must be one or more of {valid:list}; got {roles:list|none}", "角色应为 {valid:list} 中的一个或多个;收到:{roles:list|无}", field="roles"
    )


class RoleUnitMismatch(DomainError):
    code = "role_unit_mismatch"
    field = "unit"
    text = Text("{role} is a post at a {role_level}, but '{unit}' is a {level}", "{role_zh}是{role_level_zh}级职务,而 '{unit}' 是{level_zh}")


class DuplicatePost(Conflict):
    code = "duplicate_post"
    field = "start_date"
    detail_fields = ("post",)
    text = Text("{person} already holds {role} at {unit} from {start_date}", "{person} 自 {start_date} 起已任{unit}{role_zh}")


class PostTaken(Conflict):
    code = "post_taken"
    field = "start_date"
    detail_fields = ("post",)
    text = Text(
        "{role} at {unit} is held by {holder} from {start_date} to {end_date:|now}; end that post first",
        "{unit}{role_zh}由{holder}担任({start_date} 至 {end_date:|今}),请先结束其任职",
    )


class NotACadreHere(DomainError):
    code = "not_a_cadre_here"
    field = "cadre"
    text = Text("{cadre} holds no {roles:list} post at {township} on {start_date}", "{cadre} 在 {start_date} 未在{township}担任乡镇干部,不能结对")


class DuplicatePairing(Conflict):
    code = "duplicate_pairing"
    field = "household"
    text = Text("{cadre} is already paired with household {household} in that time", "{cadre} 在该时段已与贫困户 {household} 结对")


class PairingCapReached(Conflict):
    code = "pairing_cap_reached"
    field = "cadre"
    detail_fields = ("cap",)
    text = Text(
        "{cadre} is already paired with {cap} households then; rule book {book} allows at most {cap}",
        "{cadre} 已结对帮扶 {cap} 户,每名干部结对帮扶不超过 {cap} 户",
    )


class InvalidUnit(DomainError):
    code = "invalid_unit"
    field = "unit"
    text = Text("'{code}' is a {level}, not a city-direct unit", "'{code}' 不是市直单位")


class OutsideCity(DomainError):
    code = "outside_city"
    field = "village"
    text = Text("{village} is not in the city of {unit}", "{village} 不在{unit}所属市内")


class DuplicateLink(Conflict):
    code = "duplicate_link"
    field = "village"
    text = Text("{unit} is already linked to {village} then", "{unit} 在该时段已联系{village}")


# ---- visits and their import ----------------------------------------------------------


class NotesTooLong(DomainError):
    code = "notes_too_long"
    field = "notes"
    text = Text("notes are limited to {limit} characters", "备注不能超过 {limit} 字")


class VisitAlreadyVoided(Conflict):
    code = "visit_already_voided"
    field = "visit_id"
    text = Text("visit '{id}' was already voided at {voided_at}", "走访记录 '{id}' 已于 {voided_at} 作废")


class VisitorNotInPost(DomainError):
    code = "visitor_not_in_post"
    field = "visitor_id"
    detail_fields = ("date",)
    text = Text("{name} held no post on {date}, so a visit then cannot be recorded for them", "{name} 在 {date} 未担任任何职务,不能登记该日走访")


class InvalidCoordinates(DomainError):
    code = "invalid_coordinates"
    half = Text("give both latitude and longitude, or neither", "经纬度须同时填写或同时留空")
    latitude = Text("latitude {latitude} is outside -90..90", "纬度 {latitude} 超出 -90 至 90", field="latitude")
    longitude = Text("longitude {longitude} is outside -180..180", "经度 {longitude} 超出 -180 至 180", field="longitude")
    not_a_number = Text("{field} must be a number", "{field} 应为数字")


class InvalidTargetLevel(DomainError):
    code = "invalid_target_level"
    field = "target_level"
    text = Text("unknown target level '{target_level}'; valid: {valid:list}", "未知走访对象类别 '{target_level}';可用:{valid:list}")


class TargetLevelMismatch(DomainError):
    code = "target_level_mismatch"
    field = "target_level"
    text = Text("'{target_id}' is a {level}, not a {expected}", "'{target_id}' 是{level_zh},不是{expected_zh}")


class UnsupportedFileType(DomainError):
    code = "unsupported_file_type"
    field = "content-type"
    text = Text(
        "send the file as text/csv or application/x-ndjson (JSON lines), not '{content_type:|nothing}'",
        "请以 text/csv 或 application/x-ndjson(JSON 行)格式提交文件,而非 '{content_type:|无}'",
    )


class UnreadableFile(DomainError):
    code = "unreadable_file"
    field = "file"
    encoding = Text("the file is neither UTF-8 nor GB 18030 text", "文件既不是 UTF-8 也不是 GB18030 编码的文本")
    nul_bytes = Text("the file contains NUL bytes: is it a spreadsheet rather than CSV?", "文件含有空字符,可能不是 CSV 文本")
    workbook = Text("the file is not a readable XLSX workbook", "文件不是可读取的 XLSX 工作簿")
    csv = Text("the file is not readable CSV text (line {line})", "文件不是可读取的 CSV 文本(第 {line} 行)")


class MissingValue(DomainError):
    code = "missing_value"
    text = Text("{field} is required", "{field}不能为空")


class DuplicateInFile(DomainError):
    code = "duplicate_in_file"
    text = Text("the same record as line {first_line}", "与第 {first_line} 行重复")


class DiffersFromRecord(Conflict):
    code = "differs_from_record"
    text = Text(
        "{key} is on file with {field} = {on_file}, the row says {in_row}; corrections other than an end date, a name or a year's population are not imported",
        "{key} 已登记,其 {field} 为 {on_file},本行为 {in_row};除结束日期、名称和年度人口外,已登记的记录不能通过导入修改",
    )


class NotOnRegistry(Conflict):
    code = "not_on_registry"
    field = "household"
    text = Text("household '{id}' is not on the poverty registry now", "贫困户 '{id}' 目前不在建档立卡登记中")


class ExitNeedsMigration(DomainError):
    code = "exit_needs_migration"
    field = "exited_on"
    text = Text(
        "a household leaves the registry through its exit case (三签字); an exit date is imported only in a migration of the records from before this product (--migration)",
        "贫困户须经退出程序(三签字)退出;只有迁移导入系统启用前的历史档案时(--migration)才能导入退出日期",
    )


class ExitWithoutRegistration(DomainError):
    code = "exit_without_registration"
    field = "registered_on"
    text = Text("an exit date needs the registration date", "填写退出日期时须同时填写建档立卡日期")


class NotRegistrable(DomainError):
    code = "not_registrable"
    field = "registered_on"
    text = Text("a {level} is not put on a poverty registry", "{level_zh}不登记为贫困单位")


class UnknownKind(DomainError):
    code = "unknown_kind"
    field = "kind"
    text = Text("unknown kind '{kind}'; kinds: {kinds:list}", "未知类别 '{kind}';可用:{kinds:list、}")


class EmptyFile(DomainError):
    code = "empty_file"
    field = "file"
    text = Text("the file is empty", "文件为空")


class InvalidHeader(DomainError):
    code = "invalid_header"
    field = "header"
    text = Text(
        "line 1 (header): missing {missing:list|nothing}; unknown {unknown:list|nothing}; columns are {columns:list}",
        "第 1 行(表头):缺少 {missing:list、|无};未知列 {unknown:list、|无};可用列:{columns:list、}",
    )


class WrongColumnCount(DomainError):
    code = "wrong_column_count"
    text = Text("{cells} cells, the header has {columns}", "该行有 {cells} 列,表头为 {columns} 列")


class InvalidJson(DomainError):
    code = "invalid_json"
    unreadable = Text("not a JSON object: {reason}", "不是有效的 JSON 对象:{reason}")
    too_deep = Text("the line nests arrays or objects too deeply", "该行数组或对象嵌套过深")
    lone_surrogate = Text(
        "the line holds a lone surrogate escape (\\ud800–\\udfff), which is no character", "该行含有不成对的代理字符转义(\\ud800–\\udfff),不是有效字符"
    )
    not_an_object = Text("each line must be one JSON object", "每行须为一个 JSON 对象")


class UnknownField(DomainError):
    code = "unknown_field"
    text = Text("unknown field(s) {unknown:list}; fields are {columns:list}", "未知字段 {unknown:list、};可用字段:{columns:list、}")


class FileAlreadyImported(Conflict):
    code = "file_already_imported"
    field = "file"
    detail_fields = ("import_id", "imported_at", "content_sha256")
    text = Text(
        "this file was already imported as import {import_id} at {imported_at} ({visits} visits); to import it a second time, ask for that (--again on the command line, again=true in the API)",
        "该文件已于 {imported_at} 导入(导入编号 {import_id},{visits} 条走访);如确需再次导入,请明确要求(命令行 --again,API 参数 again=true)",
    )


class ImportRefused(DomainError):
    """The file had bad lines; nothing was written. `problems` lists the first ones with their line numbers."""

    code = "import_refused"
    field = "file"
    all_listed = Text(
        "{failed} of {total} lines are invalid, nothing was imported; first: line {line}: {first}",
        "共 {total} 行中有 {failed} 行有误,未导入任何记录;第一处:第 {line} 行:{first_zh}",
    )
    first_listed = Text(
        "{failed} of {total} lines are invalid, nothing was imported ({listed} listed); first: line {line}: {first}",
        "共 {total} 行中有 {failed} 行有误,未导入任何记录(列出前 {listed} 行);第一处:第 {line} 行:{first_zh}",
    )

    def __init__(self, problems: list, total: int, failed: int | None = None):
        first = problems[0]
        failed = len(problems) if failed is None else failed
        text = self.first_listed if failed > len(problems) else self.all_listed
        super().__init__(_text=text, failed=failed, total=total, listed=len(problems), line=first.line, first=first.en, first_zh=first.zh)
        self.problems = problems
        self.failed = failed

    def localized_details(self, language: str) -> dict:
        return {"lines": [p.localized(language) for p in self.problems], "bad_lines": self.failed}


# ---- exit cases -----------------------------------------------------------------------


class InvalidExitLevel(DomainError):
    code = "invalid_exit_level"
    field = "level"
    text = Text("unknown exit level '{level}'; valid: household, village, county", "未知退出层级 '{level}';可用:household、village、county")


class InvalidSubject(DomainError):
    code = "invalid_subject"
    field = "subject"
    text = Text("'{subject}' is a {level}, not a {expected}", "'{subject}' 不是{expected_zh}")


class NotOnRegistry(DomainError):
    code = "not_on_registry"
    field = "subject"
    text = Text(
        "{level} '{subject}' is not on the poverty registry; only a registered {level} can exit", "{level_zh} '{subject}' 不在建档立卡登记中,不能办理退出"
    )


class CaseAlreadyOpen(Conflict):
    code = "case_already_open"
    field = "subject"
    detail_fields = ("case",)
    text = Text("{level} '{subject}' already has an open exit case ({case}, {status})", "{level_zh} '{subject}' 已有未办结的退出案件 {case}")


class CaseClosed(Conflict):
    code = "case_closed"
    field = "case"
    text = Text("case {case} is {status}; nothing more can be recorded on it", "案件 {case} {status_zh},不能再记录")


class StepOutOfOrder(DomainError):
    code = "step_out_of_order"
    field = "occurred_at"
    not_now = Text(
        "cannot {act} a case that is {status}; that comes when the case is {valid:list or }",
        "案件当前为“{status_zh}”,不能{act_zh};须在“{valid_zh:list”或“}”时进行",
        field="case",
    )
    before_status_since = Text(
        "the case has been {status} since {since}; a record of what came after cannot be dated earlier", "该案件自 {since} 起为“{status_zh}”,其后的记录不能早于该时间"
    )
    before_previous_case = Text(
        "the previous case of '{subject}' closed at {closed}; a new case cannot open before that", "'{subject}' 的上一退出案件于 {closed} 办结,新案件不能早于该时间"
    )
    before_objection = Text("an objection cannot be resolved before it was lodged", "异议的处理时间不能早于提出时间")
    before_earlier_step = Text(
        "{role} signs at the '{role_step}' step, after the '{step}' step, which still needs: {missing}",
        "{role_zh}须在“{step_zh}”完成后签字,尚缺:{missing_zh}",
        field="role",
    )


class RuralPopulationUnknown(DomainError):
    code = "rural_population_unknown"
    field = "rural_population"
    text = Text("poverty incidence needs the rural population of {units:list}; record it first", "计算贫困发生率需要{units:list}的农村人口,请先录入")


class AssessmentRequired(DomainError):
    code = "assessment_required"
    field = "assessment"
    text = Text("a household's exit is proposed with its assessment", "贫困户退出须附评估结果")


class AssessmentNotApplicable(DomainError):
    code = "assessment_not_applicable"
    field = "assessment"
    text = Text(
        "a {level}'s exit is proposed on its poverty incidence, computed from the registry, not on a household assessment",
        "{level_zh}退出以贫困发生率为准(由登记数据计算),不附贫困户评估",
    )


class CriteriaNotMet(DomainError):
    code = "criteria_not_met"
    detail_fields = ("failed", "incidence")
    household = Text(
        "{reasons:list; }. A household exits with income above the line, all five guarantees of 两不愁三保障 and its acknowledgement",
        "{reasons_zh:list;}。退出须人均纯收入超过贫困线、两不愁三保障全部达标并经贫困户认可",
        field="assessment",
    )
    incidence_too_high = Text(
        "poverty incidence is {rate:.2%} ({poor} registered poor of {rural} rural residents); an exit needs it below {threshold:.2%}",
        "贫困发生率为 {rate:.2%}(建档立卡贫困人口 {poor} 人,农村人口 {rural} 人),退出须低于 {threshold:.2%}",
        field="poverty_incidence",
    )


class NoticePeriodOver(DomainError):
    code = "notice_period_over"
    field = "occurred_at"
    text = Text("the public notice ended at {ended}; objections are lodged while it runs", "公示期已于 {ended} 结束,异议须在公示期内提出")


class NoticePeriodRunning(DomainError):
    code = "notice_period_running"
    field = "occurred_at"
    detail_fields = ("notice_ends_at",)
    text = Text("the public notice runs until {ends}; signatures dated from then on are valid", "公示期至 {ends} 结束,此后方可签字")


class InvalidOutcome(DomainError):
    code = "invalid_outcome"
    field = "outcome"
    text = Text("outcome is 'upheld' or 'dismissed', not '{outcome}'", "处理结果应为 upheld(成立)或 dismissed(不成立)")


class ObjectionClosed(Conflict):
    code = "objection_closed"
    field = "objection"
    text = Text("objection {objection} was already closed as {outcome}", "异议 {objection} 已处理({outcome})")


class ObjectionOpen(DomainError):
    code = "objection_open"
    field = "case"
    text = Text(
        "an objection lodged by {who:list} is open; resolve it (upheld or dismissed) before signing", "{who:list} 提出的异议尚未处理,须先核实处理(成立或不成立)后方可签字"
    )


class NotASigningRole(DomainError):
    code = "not_a_signing_role"
    field = "role"
    text = Text(
        "{role} does not sign this exit; the signers, step by step, are {signers:list; }", "{role_zh}不是该退出程序的签字人;各步骤签字人:{steps_zh:list;}"
    )


class RoleAlreadySigned(Conflict):
    code = "role_already_signed"
    field = "role"
    step_complete = Text("the '{role_step}' step is complete; the case now waits at '{step}' ({roles:list})", "“{role_step_zh}”已完成,当前待“{step_zh}”")
    by_this_role = Text(
        "{role} has already signed the '{step}' step; still missing: {missing:|nothing}", "{role_zh}已在“{step_zh}”签字;尚缺:{missing_zh:|无}"
    )


class SignerNotInPost(DomainError):
    code = "signer_not_in_post"
    field = "signer"
    held_by_others = Text(
        "{signer} was not {role} of {unit} on {day}; the post was held by {holders:list}", "{signer} 于 {day} 未任{unit}{role_zh};当日任职者:{holders:list}"
    )
    vacant = Text("{signer} was not {role} of {unit} on {day}; nobody held the post that day", "{signer} 于 {day} 未任{unit}{role_zh};当日该职务空缺")


class SamePersonTwice(DomainError):
    code = "same_person_twice"
    field = "signer"
    text = Text(
        "{signer} already signed this step as {first}; {role} must be a different person under rule book {book}",
        "{signer} 已以{first_zh}身份签字,{role_zh}须由另一人签字(规则 {book} 不允许一肩挑代签)",
    )


class OnBehalfOfMismatch(DomainError):
    code = "on_behalf_of_mismatch"
    field = "signer"
    text = Text(
        "the record is made on behalf of '{on_behalf_of}' but the signer is '{signer}'; staff record a signature on behalf of its signer",
        "代录对象 '{on_behalf_of}' 与签字人 '{signer}' 不一致;代录须以签字人名义",
    )


class NotExited(DomainError):
    code = "not_exited"
    field = "household"
    text = Text("household '{household}' has never exited", "贫困户 '{household}' 未曾退出")


# ---- reports --------------------------------------------------------------------------


class AsOfInFuture(DomainError):
    code = "as_of_in_future"
    field = "as_of"
    text = Text("as_of {as_of} is after today ({today}): nothing is known about it yet", "as_of {as_of} 晚于今天({today})")


class KnownAtInFuture(DomainError):
    code = "known_at_in_future"
    field = "known_at"
    text = Text("known_at {known_at} is in the future", "known_at {known_at} 晚于当前时间")


class FromAfterAsOf(DomainError):
    code = "from_after_as_of"
    field = "from"
    text = Text("from {start} is after as_of {as_of}", "起始日期 {start} 晚于 as_of {as_of}")


class WindowTooLong(DomainError):
    code = "window_too_long"
    field = "from"
    text = Text("a report looks back at most {limit} periods of rule {rule}; give a later from", "报表最多回溯规则 {rule} 的 {limit} 个周期,请选择较晚的起始日期")


class UnknownStatus(DomainError):
    code = "unknown_status"
    field = "statuses"
    text = Text("unknown status {unknown:list}; valid: {valid:list}", "未知状态 {unknown:list};可用:{valid:list}")


class UnknownRule(DomainError):
    code = "unknown_rule"
    field = "rules"
    text = Text("rule book {book} has no visit rule {unknown:list}; it has {known:list}", "规则 {book} 中没有走访规则 {unknown:list};可用:{known:list}")


class UnknownRole(DomainError):
    code = "unknown_role"
    field = "roles"
    text = Text("rule book {book} has no role {unknown:list}", "规则 {book} 中没有职务 {unknown:list}")


class InvalidStep(DomainError):
    code = "invalid_step"
    field = "every"
    text = Text("every is one of {steps:list}", "every 应为 {steps:list、} 之一")


class TooManyDates(DomainError):
    code = "too_many_dates"
    field = "from"
    text = Text("at most {limit} dates per report; choose a later start or a longer step", "每次最多 {limit} 个日期,请推迟起始日期或加大间隔")


# ---- accounts, tokens, permissions and requests ---------------------------------------


class AuditorCannotWrite(DomainError):
    code = "auditor_cannot_write"
    field = "roles"
    text = Text("an auditor account cannot also be admin or recorder: auditors write nothing", "审计员账号不能同时是管理员或录入员:审计员只读不写")


class PersonHasAccount(Conflict):
    code = "person_has_account"
    field = "person"
    text = Text("person '{person}' already has a live account; revoke it first", "人员 '{person}' 已有有效账号,请先注销")


class AlreadyRevoked(Conflict):
    code = "already_revoked"
    field = "account"
    text = Text("account '{account}' was revoked at {revoked_at}", "账号 '{account}' 已于 {revoked_at} 注销")


class TokenRequired(NotAuthenticated):
    code = "not_authenticated"
    field = "authorization"
    text = Text(
        "send an account token: Authorization: Bearer <token> (create one with `exit-tracker accounts create`)",
        "请提供账号令牌:Authorization: Bearer <令牌>(用 `exit-tracker accounts create` 创建)",
    )


class InvalidToken(NotAuthenticated):
    code = "invalid_token"
    field = "authorization"
    text = Text("the token is not valid", "令牌无效")


class TokenRevoked(NotAuthenticated):
    code = "token_revoked"
    field = "authorization"
    text = Text("the account of this token was revoked at {revoked_at}", "该令牌所属账号已于 {revoked_at} 注销")


class RoleNotAllowed(AccessDenied):
    code = "role_not_allowed"
    field = "authorization"
    detail_fields = ("required_roles",)
    text = Text(
        "only an account with role {required_roles:list or } may {action}; this account has {roles:list}",
        "只有{required_roles_zh:list或}可以{action_zh};本账号角色为 {roles_zh:list}",
    )


class CannotSignForOthers(AccessDenied):
    code = "cannot_sign_for_others"
    field = "signer_id"
    text = Text(
        "this account may sign only as its own person; a recorder enters paper signatures on a signer's behalf", "本账号只能以本人身份签字;代录纸质签字须由录入员办理"
    )


class RootUnitRefused(AccessDenied):
    code = "root_unit_refused"
    field = "parent_code"
    text = Text("a unit without a parent cannot be added through the API", "不能通过 API 新增无上级的单位")


class IdempotencyKeyReused(Conflict):
    code = "idempotency_key_reused"
    field = "Idempotency-Key"
    text = Text(
        "Idempotency-Key '{key}' was already used with a different request at {at}; use a new key for a new request",
        "Idempotency-Key '{key}' 已于 {at} 用于另一请求;新请求请使用新的键",
    )


class IdempotencyKeyInFlight(Conflict):
    code = "idempotency_key_in_flight"
    field = "Idempotency-Key"
    text = Text(
        "a request with this Idempotency-Key was processed at the same time; retry it to get that request's response",
        "同一 Idempotency-Key 的请求正在同时处理;请重试以取得该请求的结果",
    )


class BodyTooLarge(TooLarge):
    code = "body_too_large"
    field = "body"
    detail_fields = ("limit_bytes",)
    text = Text(
        "the request body is larger than this operation takes: at most {shown} ({limit_bytes} bytes)", "请求体超过本操作的上限:最多 {shown}({limit_bytes} 字节)"
    )


# ---- deep poverty and pairing coverage, work teams, reduction plans --------------------


class RuleNotInBook(DomainError):
    code = "rule_not_in_book"
    field = "date"
    pairing_coverage = Text("rule book {book} holds no pairing-coverage rule", "规则 {book} 未规定结对帮扶全覆盖", field="as_of")
    reduction_plans = Text("rule book {book} holds no reduction-plan rule", "规则 {book} 未规定年度减贫计划", field="year")
    work_teams = Text("rule book {book} holds no work-team rule (work_teams)", "规则 {book} 未规定驻村工作队(work_teams)")


class DeepPovertyNotFound(_Missing):
    code = "deep_poverty_not_found"
    field = "mark"
    text = Text("no deep poverty with id '{id}'", "未找到深度贫困标记:{id}")


class AlreadyDeepPoverty(Conflict):
    code = "already_deep_poverty"
    field = "start_date"
    text = Text(
        "household {household} ({head_name}) is already marked in deep poverty in that time", "贫困户 {household}({head_name})在该时段已标记为深度贫困"
    )


class TeamNotFound(_Missing):
    code = "team_not_found"
    field = "team"
    text = Text("no team with id '{id}'", "未找到工作队:{id}")


class TeamMemberNotFound(_Missing):
    code = "team_member_not_found"
    field = "post"
    text = Text("no team member with id '{id}'", "未找到工作队队员:{id}")


class InvalidKind(DomainError):
    code = "invalid_kind"
    field = "kind"
    team = Text("unknown team kind '{kind}'; valid: {valid:list}", "未知工作队类别 '{kind}';可用:{valid:list}")
    planned_exit = Text("kind is poor_household or poor_village", "类别应为 poor_household 或 poor_village")


class InvalidSendingUnit(DomainError):
    code = "invalid_sending_unit"
    field = "sending_unit"
    text = Text(
        "a {kind} is sent by a unit of level {levels:list}; '{code}' is a {level}", "{kind_zh}应由{levels_zh:list、}派出,而 '{code}' 是{level_zh}"
    )


class OutsideSendingUnit(DomainError):
    code = "outside_sending_unit"
    field = "village"
    text = Text("{village} is not in the area of {sender}", "{village} 不在{sender}辖区内")


class OutsideTeamSpan(DomainError):
    code = "outside_team_span"
    field = "start_date"
    text = Text(
        "the team is stationed from {team_start} to {team_end:|now}; a member cannot start on {start_date}",
        "工作队驻村期间为 {team_start} 至 {team_end:|今},队员不能自 {start_date} 起任职",
    )


class TeamWithdrawalBeforeExit(Conflict):
    code = "team_withdrawal_before_exit"
    field = "end_date"
    detail_fields = ("village", "village_status")
    text = Text(
        "the work team cannot leave {village_name} ({village}) on {end_date}: the village is a registered poor village since {registered_on}, "
        "not exited; reasons the rule book allows: {allowed:list|none}",
        "{village_name}({village})自 {registered_on} 起为贫困村,尚未脱贫出列,驻村工作队不能于 {end_date} 撤队(不脱贫出列不撤队)",
    )


class TeamBelowStrengthBeforeExit(Conflict):
    code = "team_below_strength_before_exit"
    field = "end_date"
    detail_fields = ("village", "village_status", "members_after")
    text = Text(
        "ending this member on {end_date} leaves the work team in {village_name} ({village}) with {members_after} member(s), fewer than {min_members}, "
        "while the village is a registered poor village since {registered_on}, not exited; add a member from {day_after} first",
        "{village_name}({village})自 {registered_on} 起为贫困村,尚未脱贫出列,该队员于 {end_date} 离队后工作队仅剩 {members_after} 人,"
        "少于 {min_members} 人;请先安排自 {day_after} 起到岗的队员",
    )


class InvalidYear(DomainError):
    code = "invalid_year"
    field = "year"
    text = Text("year {year} is out of range 2000–2100", "年度 {year} 超出范围 2000–2100")


class YearNotClosed(DomainError):
    code = "year_not_closed"
    field = "year"
    text = Text(
        "{year} has not closed by {on}: its lists are drawn from 1 January {next_year}", "{year} 年度截至 {on} 尚未结束,名单自 {next_year} 年 1 月 1 日起生成"
    )


class InvalidPlanUnit(DomainError):
    code = "invalid_plan_unit"
    field = "unit"
    text = Text("a {level} is given no plan; plans are for {levels:list}", "{level_zh}不下达减贫计划")


class InvalidPlanSetter(DomainError):
    code = "invalid_plan_setter"
    field = "set_by"
    text = Text("{unit}'s plan is set by the unit above it, not by {setter}", "{unit}的减贫计划应由其上级下达,而非{setter}")


class InvalidPlan(DomainError):
    code = "invalid_plan"
    field = "people"
    counts = Text("households, people and villages are counts (people at least households)", "计划户数、人数、村数应为非负数,且人数不少于户数")
    village_villages = Text("a village's plan has no villages to exit", "村级计划不含出列村数", field="villages")


# ---- the event log and the auditor's replay -------------------------------------------


class TargetNotEmpty(DomainError):
    code = "target_not_empty"
    text = Text("the target database already holds events; replay into an empty one", "目标数据库已有事件记录,请使用空数据库")


# ---- web sign-in and its sessions -------------------------------------------------------


class AccountRevoked(Conflict):
    code = "account_revoked"
    field = "account"
    text = Text("account '{account}' is revoked", "账号 '{account}' 已注销")


class PasswordTooShort(DomainError):
    code = "password_too_short"
    field = "password"
    text = Text("a password needs at least {minimum} characters", "密码至少 {minimum} 个字符")


class UserNameTaken(Conflict):
    code = "user_name_taken"
    field = "name"
    text = Text(
        "another live account named '{name}' signs in with a password; user names must differ", "已有名为 '{name}' 的有效账号可登录,用户名不能重复"
    )


class SessionEnded(NotAuthenticated):
    code = "session_ended"
    field = "session"
    text = Text("the session has ended; sign in again", "登录已失效,请重新登录")


class CsrfTokenInvalid(AccessDenied):
    code = "csrf_token_invalid"
    field = "csrf_token"
    text = Text("this form is stale or forged: reload the page and try again", "表单已过期或来源不明,请刷新页面后重试")


class SignInThrottled(TooManyRequests):
    code = "sign_in_throttled"
    field = "name"
    text = Text(
        "too many failed sign-ins from this address: try again in {minutes} minutes",
        "此地址登录失败次数过多,请 {minutes} 分钟后再试",
    )


class ActionNotFound(_Missing):
    code = "action_not_found"
    field = "action"
    text = Text("no action with id '{id}'", "未找到操作:{id}")



# ---- the public notice page (互联网+监督) -----------------------------------------------


class PublicObjectionInvalid(DomainError):
    code = "public_objection_invalid"
    field = "grounds"
    empty = Text("write what you object to: the objection's text is required", "请填写异议内容:异议内容不能为空")
    too_long = Text(
        "the objection is {length} characters long; at most {limit} are taken — shorten it, or bring the rest to the village committee",
        "异议内容共 {length} 字,超过上限 {limit} 字;请精简,或将详细材料交村委会",
    )
    markup = Text(
        "the text contains HTML or script markup ('<' followed by a tag); write plain text only",
        "内容含有 HTML 标签或脚本(以“<”开头的标记),请只填写文字",
    )
    name_too_long = Text("the name is {length} characters long; at most {limit} are taken", "姓名共 {length} 字,超过上限 {limit} 字", field="name")
    name_markup = Text("the name contains HTML or script markup; write plain text only", "姓名含有 HTML 标签或脚本,请只填写文字", field="name")
    phone = Text(
        "the phone number must be {minimum} to {limit} digits (spaces, '-' and a leading '+' allowed), or left empty",
        "联系电话应为 {minimum} 至 {limit} 位数字(可含空格、“-”和开头的“+”),也可不填",
        field="phone",
    )
    control = Text("the text contains control characters; write plain text only", "内容含有控制字符,请只填写文字")


class TooManyPublicObjections(TooManyRequests):
    code = "too_many_objections"
    field = "client"
    detail_fields = ("limit", "seconds")
    text = Text(
        "at most {limit} objections per {seconds} seconds are taken from one address; wait a minute and try again",
        "同一网络地址每 {seconds} 秒最多提交 {limit} 条异议,请稍候一分钟再试",
    )


class NoticeNotFound(_Missing):
    code = "notice_not_found"
    field = "case"
    text = Text(
        "no public notice '{id}' is running: it may have ended, or never been posted",
        "未找到正在公示的公告 {id}:公示可能已结束或尚未发布",
    )


class ReceiptNotFound(_Missing):
    code = "receipt_not_found"
    field = "receipt"
    text = Text(
        "no objection has receipt number '{id}': check the number on your receipt",
        "回执编号 {id} 无对应异议,请核对回执上的编号",
    )


CATALOGUE: tuple[type[DomainError], ...] = tuple(
    entry for entry in list(globals().values()) if isinstance(entry, type) and issubclass(entry, DomainError) and "code" in vars(entry)
)
