"""The words of a trace: the (zh, en) message templates both evaluators write.

The native engine formats them in :mod:`qfund_rules._steps`, :mod:`qfund_rules.authorship`
and :mod:`qfund_rules.engine`; the durable worker gets them as data with the rule set
(``durable_backend.rules_program``) and formats them with the values it worked out itself.
Plain text only: no condition, amount or date is decided here, so sharing the words hides
no error of either evaluator (issue 5 forbids sharing compiled conditions), and a step both
write reads the same in both. Each template is formatted with ``str.format_map`` and named
fields (given beside it); a field given as a (zh, en) pair is one value per language.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

__all__ = ["TEXTS", "say"]

_TEXTS: dict[str, tuple[str, str]] = {
    # 第二十八条: achieved_on, effective_from, effective_until
    "validity.in_force": (
        "取得日期{achieved_on}在本办法有效期内",
        "achieved on {achieved_on}, while the measures are in force",
    ),
    "validity.outside": (
        "取得日期{achieved_on}不在本办法有效期({effective_from}至{effective_until})内",
        "achieved on {achieved_on}, outside the period in force "
        "({effective_from} to {effective_until})",
    ),
    # 第四条: type and place, their names in exclusions.yaml; region
    "eligibility.may_apply": (
        "{type},注册地{place}({region}),属支持对象",
        "{type} registered in {place} ({region}): within Hami, may apply",
    ),
    # Each failing part (org_type with the hint, or region), joined by eligibility.join.
    "eligibility.type": (
        "单位类型{org_type}不在支持范围{hint}",
        "organisation type {org_type} is not supported{hint}",
    ),
    "eligibility.hint": ("(是否应为{close}?)", " (did you mean {close}?)"),
    "eligibility.region": (
        "注册地区划代码{region}不属哈密市",
        "division code {region} is not in Hami",
    ),
    "eligibility.join": (";", "; "),
    # 第十三条, one claim's authorship: position and foremost count from 1
    "authorship.lead_proof": (
        "前言未列起草单位,已提供发布或归口单位出具的主导证明,认定为主导单位",
        "the foreword names no drafting unit; a lead proof from the publisher is on file",
    ),
    "authorship.lead_proof_missing": (
        "前言未列起草单位,且未提供发布或归口单位出具的主导证明",
        "the foreword names no drafting unit and no lead proof was provided",
    ),
    "authorship.not_drafting_unit": (
        "申报单位不在标准前言的起草单位之列",
        "the applicant is not among the drafting units in the foreword",
    ),
    "authorship.lead": (
        "申报单位为前言排序首位的起草单位,认定为主导单位",
        "the applicant is the first drafting unit in the foreword: the lead",
    ),
    "authorship.foremost_participant": (
        "申报单位排序第{position}位,为排序最靠前的哈密市参与起草单位",
        "the applicant ranks {position}: the foremost Hami participant",
    ),
    "authorship.other_participant": (
        "申报单位排序第{position}位,排序最靠前的哈密市起草单位为第{foremost}位",
        "the applicant ranks {position}; the foremost Hami unit ranks {foremost}",
    ),
    "authorship.no_hami_unit": (
        "申报单位排序第{position}位,排序最靠前的哈密市起草单位为无",
        "the applicant ranks {position}; the foremost Hami unit ranks nowhere",
    ),
    # 第十三条 across the claims on a standard
    "authorship.foremost_elsewhere": (
        "申报{foremost_hami_claim}中排序第{foremost_hami_position}位的哈密市起草单位排序更靠前",
        "claim {foremost_hami_claim} shows a Hami unit ranked {foremost_hami_position}, "
        "before this applicant",
    ),
    "authorship.one_participant": (
        "该标准的参与制定奖励已核给申报{paid_to}",
        "the participation award for this standard goes to {paid_to}",
    ),
    # 第十三条, the lead across the claims on a standard: action is authorship.action.*
    "authorship.one_lead": (
        "标准前言中排序首位的起草单位仅一家,该标准的主导单位已由申报{lead_claim}申报",
        "the foreword ranks one drafting unit first: the lead of this standard is claimed "
        "by {lead_claim}",
    ),
    # ... and across rounds (allocation.yaml lead.across_rounds): lead_claim, lead_round
    "authorship.one_lead.earlier": (
        "标准前言中排序首位的起草单位仅一家,该标准的主导奖励已于{lead_round}年度核给申报{lead_claim}",
        "the foreword ranks one drafting unit first: the lead of this standard was awarded "
        "in round {lead_round} to claim {lead_claim}",
    ),
    # The items: title, the item's (zh: its clause for amount); amount (zh: in 万元)
    "match": ("符合“{title}”的条件", "meets the conditions of '{title}'"),
    "match.not": ("不符合“{title}”:需 {missing}", "not '{title}': requires {missing}"),
    "amount": (
        "适用“{title}”,取得日适用金额{amount}万元",
        "'{title}' applies: {amount} yuan in force on the reference date",
    ),
    "amount.before_first": (
        "取得日早于本事项首个金额的生效日({first}),无适用金额",
        "no amount of '{title}' is in force on the reference date (the first from {first})",
    ),
    "item.none": ("没有与本申报相符的奖励事项", "no award item matches this claim"),
    "item.none.authorship": (
        "起草单位认定未通过,没有可适用的奖励事项",
        "authorship not established, so no award item applies",
    ),
    # 首次 (rulings R4): scope is first_time.scope.item or .qualification; ids joined ", "
    "first_time.scope.item": ("该奖励事项", "of this item"),
    "first_time.scope.qualification": ("同一资格", "for the same qualification"),
    "first_time.pass": (
        "首次获得(新承担),账本中无{scope}的既往奖励",
        "first time: declared, and no earlier award {scope} in the ledger",
    ),
    "first_time.pass.no_ledger": (
        "首次获得(新承担),无{scope}的既往奖励记录(未提供账本)",
        "first time: declared, and no earlier award {scope} given (no ledger read)",
    ),
    "first_time.undeclared": ("申报未声明为首次获得", "the claim does not declare a first time"),
    "first_time.earlier_award": (
        "账本中已有{scope}的奖励({ids})",
        "the ledger already holds an award {scope} ({ids})",
    ),
    # 第十七条: title, the case's in exclusions.yaml
    "exclusion.applies": ("属于“{title}”情形,不予奖励", "excluded under '{title}'"),
    "exclusion.clear": ("不属于“{title}”情形", "not excluded under '{title}'"),
    # 第十七条第(二)项 when it applies: title as above, day the submission day, lists the
    # names of the lists the applicant is on that day (exclusions.yaml list_names; a code
    # where a list has none), joined by exclusion.listed.join
    "exclusion.listed": (
        "属于“{title}”情形(申报日{day}列入{lists}),不予奖励",
        "excluded under '{title}': on the {lists} on {day}",
    ),
    "exclusion.listed.join": ("、", " and the "),
    # 第十七条第(二)项: the listings on file that do not apply on the submission day (day),
    # each as exclusion.listing (its list by its name in exclusions.yaml, its dates and
    # why), joined by exclusion.listing.join; .listed after exclusion.listed, which has
    # said the day already
    "exclusion.not_applying": (
        ";在案名单于申报日{day}不适用:{listings}",
        "; listings on file that do not apply on {day}: {listings}",
    ),
    "exclusion.not_applying.listed": (
        ";在案名单于该日不适用:{listings}",
        "; listings on file that do not apply that day: {listings}",
    ),
    "exclusion.listing": ("{list}({dates},{why})", "{list}, {dates} ({why})"),
    "exclusion.listing.dates": ("{start}至{end}", "{start} to {end}"),
    "exclusion.listing.open": ("{start}起", "from {start}, still listed"),
    "exclusion.listing.join": (";", "; "),
    "exclusion.listing.other_list": ("非本项所列名单", "not a list this case names"),
    "exclusion.listing.starts_after": ("申报日后才列入", "starts after that day"),
    "exclusion.listing.ended_before": ("申报日前已移出", "ended before that day"),
    # 第二十四条: until is the last ban's end, claim the claim its fraud was found on; bans
    # that end last together name their claims, joined by ban.claims.join
    "ban.active": (
        "因申报{claim}弄虚作假被取消申报资格至{until}",
        "banned until {until} for fraud found on claim {claim}",
    ),
    "ban.active.several": (
        "因申报{claims}弄虚作假被取消申报资格至{until}",
        "banned until {until} for fraud found on claims {claims}",
    ),
    "ban.claims.join": ("、", ", "),
    "ban.none": ("申报单位不在取消申报资格期内", "the applicant is not banned"),
    "ban.none.no_ledger": (
        "无取消申报资格记录(未提供账本)",
        "no ban of the applicant given (no ledger read)",
    ),
    # 第二十条第(二)项: earlier (paid before), amount (the top-up); zh in 万元, en in yuan
    "same_qualification.top_up": (
        "同一资格已获奖励{earlier}万元,就高补差{amount}万元",
        "already awarded {earlier} yuan for this qualification: top-up of {amount} yuan",
    ),
    "same_qualification.no_top_up": (
        "同一资格已获奖励{earlier}万元;本申报已不予奖励,不补差",
        "already awarded {earlier} yuan for this qualification; the claim is refused, "
        "so there is no top-up",
    ),
    "same_qualification.already_awarded": (
        "同一资格已获奖励{earlier}万元,不重复奖励",
        "already awarded {earlier} yuan for this qualification",
    ),
    "same_qualification.superseded": (
        "同一资格按就高不就低原则核拨申报{winner}({winner_item})",
        "same qualification: the higher claim {winner} ({winner_item}) is paid instead",
    ),
}

#: The templates by key, read-only: (zh, en).
TEXTS: Mapping[str, tuple[str, str]] = MappingProxyType(_TEXTS)


def say(key: str, **values: object) -> tuple[str, str]:
    """The (zh, en) messages of ``key``; a value given as a (zh, en) tuple is per language."""
    zh, en = TEXTS[key]
    return (
        zh.format_map({k: v[0] if isinstance(v, tuple) else v for k, v in values.items()}),
        en.format_map({k: v[1] if isinstance(v, tuple) else v for k, v in values.items()}),
    )
