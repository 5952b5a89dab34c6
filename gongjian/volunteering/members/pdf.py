"""The half-year feedback receipt (回执) as a one-page PDF, written with reportlab's built-in STSong CID font (Chinese
without shipping a font file). The receipt is an official paper in Chinese: its wording is Chinese whatever the
reader's language."""

from __future__ import annotations

import io

from django.utils import timezone
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

from ..models import FeedbackReceipt

FONT = "STSong-Light"
TITLE = "在职党员到社区报到服务情况回执"
_registered = False


def _font() -> str:
    global _registered
    if not _registered:
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
        _registered = True
    return FONT


def half_label(rc: FeedbackReceipt) -> str:
    return f"{rc.period_start.year}年{'上半年' if rc.period.endswith('H1') else '下半年'}"


def period_label(rc: FeedbackReceipt) -> str:
    return f"{half_label(rc)}（{rc.period_start:%Y-%m-%d} 至 {rc.period_end:%Y-%m-%d}）"


def _wrap(text: str, font: str, size: float, width: float) -> list[str]:
    """Break text into lines that fit ``width`` (character by character: Chinese has no spaces)."""
    lines: list[str] = []
    for para in (text or "").splitlines() or [""]:
        line = ""
        for ch in para:
            if pdfmetrics.stringWidth(line + ch, font, size) > width:
                lines.append(line)
                line = ch
            else:
                line += ch
        lines.append(line)
    return lines


def receipt_pdf(rc: FeedbackReceipt) -> bytes:
    """One A4 page: title, who and where, the half-year's figures in a table, the community's remark, issuer and date."""
    font = _font()
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4, pageCompression=0)
    c.setTitle(TITLE)
    c.setAuthor(rc.community.name)
    width, height = A4
    left, right = 25 * mm, width - 25 * mm
    y = height - 30 * mm
    c.setFont(font, 18)
    c.drawCentredString(width / 2, y, TITLE)
    y -= 8 * mm
    c.setFont(font, 10)
    c.setFillColor(colors.grey)
    c.drawCentredString(width / 2, y, f"编号：{rc.period}-{rc.pk:06d}")
    c.setFillColor(colors.black)
    y -= 12 * mm
    c.setFont(font, 12)
    unit = rc.unit.name if rc.unit else "—"
    c.drawString(left, y, f"{unit}：")
    y -= 8 * mm
    intro = (f"贵单位在职党员 {rc.member.name} 同志已到 {rc.community.full_name or rc.community.name} 报到。"
             f"现将其{half_label(rc)}在社区参加志愿服务情况反馈如下：")
    for line in _wrap(intro, font, 12, right - left - 8 * mm):
        c.drawString(left + 8 * mm, y, line)
        y -= 7 * mm
    y -= 4 * mm
    rows = [
        ("党员姓名", rc.member.name), ("工作单位", unit), ("报到社区", rc.community.full_name or rc.community.name),
        ("回执期间", period_label(rc)), ("志愿服务时长（已确认）", f"{rc.hours} 小时"), ("参加活动", f"{rc.activities} 项"),
        ("担任服务岗位", rc.posts or "无"), ("年度承诺", f"已践诺 {rc.pledges_fulfilled} 项 / 共承诺 {rc.pledges_total} 项"),
        ("服务积分", f"{rc.points} 分"),
    ]
    row_h, label_w = 10 * mm, 55 * mm
    c.setStrokeColor(colors.black)
    c.setLineWidth(0.6)
    top = y
    for label, value in rows:
        c.rect(left, y - row_h, label_w, row_h)
        c.rect(left + label_w, y - row_h, right - left - label_w, row_h)
        c.setFont(font, 11)
        c.drawString(left + 3 * mm, y - row_h + 3.5 * mm, label)
        text = _wrap(str(value), font, 11, right - left - label_w - 6 * mm)[0]
        c.drawString(left + label_w + 3 * mm, y - row_h + 3.5 * mm, text)
        y -= row_h
    # the remark: a box as tall as its text (at least three lines)
    remark_lines = _wrap(rc.remark or "—", font, 11, right - left - 6 * mm)[:14]
    box_h = max(3, len(remark_lines)) * 6.5 * mm + 10 * mm
    c.rect(left, y - box_h, right - left, box_h)
    c.setFont(font, 11)
    c.drawString(left + 3 * mm, y - 6 * mm, "社区党组织评价：")
    ty = y - 13 * mm
    for line in remark_lines:
        c.drawString(left + 6 * mm, ty, line)
        ty -= 6.5 * mm
    y -= box_h
    assert y < top
    y -= 18 * mm
    c.setFont(font, 12)
    c.drawRightString(right, y, f"{rc.community.name}党组织（盖章）")
    y -= 8 * mm
    issued = timezone.localtime(rc.issued_at)
    c.drawRightString(right, y, f"{issued.year}年{issued.month}月{issued.day}日")
    c.setFont(font, 8)
    c.setFillColor(colors.grey)
    c.drawString(left, 15 * mm, "本回执依据社区确认的志愿服务记录生成；服务时长只计社区已确认的记录。")
    c.showPage()
    c.save()
    return buf.getvalue()


def filename(rc: FeedbackReceipt) -> str:
    return f"receipt-{rc.period}-{rc.pk}.pdf"
