#!/usr/bin/env python3
"""Writes the constructed export samples in this folder (run from anywhere; output is
deterministic). Every value is invented; only the *shapes* (column names, preamble and footer
lines, encodings, number formats) follow the platforms' public documentation, cited in
docs/data-layer.md ("Microsoft Advertising, X and LinkedIn"). Not real data."""
import os

HERE = os.path.dirname(os.path.abspath(__file__))

# One set of ads, written in each shape.
BING_ROWS = [
    # date (Y, M, D), account no., campaign, ad id, title, description, impr, clicks, spend, conv, revenue
    ((2024, 1, 15), "F12345678", "Spring Sale", "81234567890", "Running Shoes -40% | Free Delivery",
     "Shop the spring sale today & save. Free returns.", 12480, 312, 248.73, 11, 1104.50),
    ((2024, 1, 15), "F12345678", "Spring Sale", "81234567891", "Trail Shoes for Every Terrain",
     "Grip, comfort and 2-year warranty. Order now.", 8020, 141, 120.40, 4, 392.00),
    ((2024, 1, 16), "F12345678", "Spring Sale", "81234567890", "Running Shoes -40% | Free Delivery",
     "Shop the spring sale today & save. Free returns.", 11904, 290, 231.10, 9, 880.20),
    ((2024, 1, 16), "F12345678", "Brand", "81234567892", "Stride Athletics Official Site",
     "", 3410, 402, 96.05, 15, 1530.00),
    ((2024, 1, 13), "F12345678", "Brand", "81234567892", "Stride Athletics Official Site",
     "", 2950, 377, 88.60, 12, 1190.75),
]

BING_PREAMBLE = [
    "Report Name: Ad performance",
    "Report Time: 1/13/2024 - 1/16/2024",
    "Time Zone: (GMT-08:00) Pacific Time (US & Canada)",
    "Last Completed Available Day: 1/17/2024 3:00:00 AM (GMT-08:00) Pacific Time (US & Canada)",
    "Last Completed Available Hour: 1/17/2024 3:00:00 AM (GMT-08:00) Pacific Time (US & Canada)",
    "Report Aggregation: Daily",
    "Report Filter: ",
    "Potential Incomplete Data: false",
    "Rows: 5",
]
BING_FOOTER = "\u00a92024 Microsoft Corporation. All rights reserved. "


def q(s):
    return '"' + str(s).replace('"', '""') + '"'


def us_num(v, dec=2):
    return f"{v:,.{dec}f}" if isinstance(v, float) else f"{v:,}"


def de_num(v, dec=2):
    return us_num(v, dec).replace(",", "\x00").replace(".", ",").replace("\x00", ".")


def bing(locale):
    num = us_num if locale == "us" else de_num
    if locale == "us":
        date = lambda d: f"{d[1]}/{d[2]}/{d[0]}"
    else:
        date = lambda d: f"{d[2]:02}.{d[1]:02}.{d[0]}"
    cur = "USD" if locale == "us" else "EUR"
    header = ["Gregorian date", "Account name", "Account number", "Campaign name", "Ad group",
              "Ad ID", "Title part 1", "Ad description", "Currency code", "Impr.", "Clicks",
              "CTR", "Avg. CPC", "Spend", "Conv.", "Revenue"]
    lines = [q(p) for p in BING_PREAMBLE] + ["", ",".join(q(h) for h in header)]
    tot = [0, 0, 0.0, 0, 0.0]
    for (d, acct, camp, ad, title, desc, imp, clk, spend, conv, rev) in BING_ROWS:
        ctr = f"{clk / imp * 100:.2f}%" if locale == "us" else f"{clk / imp * 100:.2f}%".replace(".", ",")
        cpc = num(round(spend / clk, 2)) if clk else num(0.0)
        row = [date(d), "Stride Athletics", acct, camp, camp + " - Ad group", ad, title, desc, cur,
               num(imp), num(clk), ctr, cpc, num(spend), num(conv), num(rev)]
        lines.append(",".join(q(c) for c in row))
        tot = [tot[0] + imp, tot[1] + clk, tot[2] + spend, tot[3] + conv, tot[4] + rev]
    total = ["Total", "", "", "", "", "", "", "", "", num(tot[0]), num(tot[1]), "", "",
             num(round(tot[2], 2)), num(tot[3]), num(round(tot[4], 2))]
    lines.append(",".join(q(c) for c in total))
    lines.append(q(BING_FOOTER))
    return "\r\n".join(lines) + "\r\n"


def write(name, text, encoding):
    with open(os.path.join(HERE, name), "wb") as f:
        if encoding == "utf-8-sig":
            f.write(b"\xef\xbb\xbf" + text.encode("utf-8"))
        elif encoding == "utf-16le":
            f.write(b"\xff\xfe" + text.encode("utf-16-le"))
        else:
            f.write(text.encode("utf-8"))


# Microsoft Advertising UI download, en-US: UTF-8 with BOM, preamble, totals row, footer.
write("bing_ad_performance_us.csv", bing("us"), "utf-8-sig")
# The same report from a de-DE account: UTF-16 LE with BOM, decimal comma, D.M.YYYY dates, EUR.
write("bing_ad_performance_de_utf16.csv", bing("de"), "utf-16le")

# Microsoft Advertising Reporting API (AdPerformanceReportColumn names), no header/footer.
api = ["TimePeriod,AccountId,CampaignId,AdGroupId,AdId,AdTitle,AdDescription,CurrencyCode,"
       "Impressions,Clicks,Ctr,AverageCpc,Spend,Conversions,Revenue"]
for (d, acct, camp, ad, title, desc, imp, clk, spend, conv, rev) in BING_ROWS:
    api.append(",".join([f"{d[0]}-{d[1]:02}-{d[2]:02}", "149000123", "402311" if camp == "Brand" else "402310",
                         "1310001", ad, q(title), q(desc), "USD", str(imp), str(clk),
                         f"{clk / imp * 100:.2f}%", f"{spend / clk:.2f}", f"{spend:.2f}", str(conv), f"{rev:.2f}"]))
write("bing_api_ad_performance.csv", "\r\n".join(api) + "\r\n", "utf-8")

# X Ads Manager export (post level). Spend integer-rounded as some exports show it, text
# truncated with a t.co link, HTML entities, one post without text.
x_header = ["Time", "Campaign", "Tweet ID", "Tweet text", "Currency", "Spend", "Impressions",
            "Engagements", "Billed engagements", "Retweets", "Replies", "Likes", "Follows",
            "Clicks", "Media engagements", "Engagement rate"]
X_ROWS = [
    ("2024-01-15", "Launch week", "1746912384756102145",
     "New drop: the Stride Trail 2 is here &amp; it&#39;s built for mud. Grab yours before Friday \u2026 https://t.co/Ab3dEf9XyZ",
     "USD", "41", 18230, 655, 201, 12, 4, 88, 3, 512, 36),
    ("2024-01-15", "Launch week", "1746912384756102146",
     "Why do runners swear by rest days? Our coach explains &gt;&gt; https://t.co/Qw12Er34Ty",
     "USD", "17", 9410, 230, 95, 3, 9, 40, 1, 170, 7),
    ("2024-01-16", "Launch week", "1746912384756102145",
     "New drop: the Stride Trail 2 is here &amp; it&#39;s built for mud. Grab yours before Friday \u2026 https://t.co/Ab3dEf9XyZ",
     "USD", "38", 16004, 590, 188, 10, 2, 71, 2, 470, 35),
    ("2024-01-16", "Always on", "1746912384756102147", "", "USD", "9", 5120, 61, 40, 0, 0, 7, 0, 52, 2),
]
lines = [",".join(q(h) for h in x_header)]
for (t, camp, tid, text, cur, spend, imp, eng, billed, rt, rep, likes, fol, clk, media) in X_ROWS:
    lines.append(",".join(q(c) for c in [t, camp, tid, text, cur, spend, imp, eng, billed, rt, rep,
                                         likes, fol, clk, media, f"{eng / imp * 100:.2f}%"]))
write("x_ads_manager_export.csv", "\n".join(lines) + "\n", "utf-8")

# A connector dump of the X Ads API promoted-tweet report: snake_case names, spend in micros.
c_header = "date_day,account_id,campaign_id,promoted_tweet_id,full_text,currency,impressions,clicks,url_clicks,spend_micro"
lines = [c_header]
for (t, camp, tid, text, cur, spend, imp, eng, billed, rt, rep, likes, fol, clk, media) in X_ROWS:
    lines.append(",".join([t, "18ce54d4x5t", "hu2q" if camp == "Launch week" else "hu2r", tid, q(text), cur,
                           str(imp), str(clk), str(clk // 3), str(int(spend) * 1_000_000 + 370_000)]))
write("x_ads_api_promoted_tweets.csv", "\n".join(lines) + "\n", "utf-8")

# LinkedIn Campaign Manager ad performance export: preamble, M/D/YYYY dates, two accounts in
# two currencies (each record keeps its own).
li_pre = [["Ad Performance Report (in UTC)"], ["Report Start: 1/15/2024, 12:00 AM"],
          ["Report End: 1/16/2024, 11:59 PM"], ["Date Generated: 1/17/2024, 9:12 AM"], []]
li_header = ["Start Date (in UTC)", "Account Name", "Campaign Group Name", "Campaign Name",
             "Campaign ID", "Creative ID", "Ad Headline", "Ad Introduction Text", "Currency",
             "Total Spent", "Impressions", "Clicks", "Average CTR", "Conversions",
             "Total Engagements", "Reactions", "Comments", "Shares", "Video Views"]
LI_ROWS = [
    ("1/15/2024", "Ledgerly", "Q1 Demand", "CFO webinar", "219876543", "301234567",
     "Close your books 3x faster", "Finance teams: join our free webinar on automating month-end close. Register today.",
     "USD", "512.40", 41230, 198, 11, 1502, 120, 8, 14, ""),
    ("1/16/2024", "Ledgerly", "Q1 Demand", "CFO webinar", "219876543", "301234567",
     "Close your books 3x faster", "Finance teams: join our free webinar on automating month-end close. Register today.",
     "USD", "498.10", 39870, 176, 9, 1391, 101, 5, 11, ""),
    ("1/15/2024", "Ledgerly EU", "Q1 Demand EU", "Video explainer", "219876999", "301239999",
     "What is continuous close?", "A 60-second explainer for controllers &amp; CFOs.",
     "EUR", "1,204.75", 88210, 301, 4, 4410, 260, 31, 22, "12,840"),
]
lines = [",".join(q(c) for c in p) for p in li_pre] + [",".join(q(h) for h in li_header)]
for r in LI_ROWS:
    (d, acct, grp, camp, cid, crid, head, intro, cur, spent, imp, clk, conv, eng, react, com, sh, vv) = r
    lines.append(",".join(q(c) for c in [d, acct, grp, camp, cid, crid, head, intro, cur, spent,
                                         f"{imp:,}", clk, f"{clk / imp * 100:.2f}%", conv, eng,
                                         react, com, sh, vv]))
write("linkedin_campaign_manager_export.csv", "\r\n".join(lines) + "\r\n", "utf-8-sig")

# An export in no known shape (a made-up network's "results" download) and its mapping.
unk = ["Ref;Day;Copy;Views;Taps;Cost (EUR)",
       "A-1;2024-02-01;Fresh pasta delivered in 30 minutes. Order now!;10.500;210;84,20",
       "A-2;2024-02-01;Family meal deals from 19,99 \u20ac;7.250;96;51,75",
       "A-1;2024-02-02;Fresh pasta delivered in 30 minutes. Order now!;9.980;188;80,05"]
write("unknown_shape.csv", "\n".join(unk) + "\n", "utf-8")
write("unknown_shape.map", """# Column mapping for unknown_shape.csv (docs/data-layer.md, "Column-mapping files")
network = meta
ad_id = Ref
date = Day
body = Copy
impressions = Views
clicks = Taps
spend = "Cost (EUR)"
account = pasta-place
currency_code = EUR
""", "utf-8")
