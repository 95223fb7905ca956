# One-off helper used to write tests/data/niche_labels.csv from my reading of every unique creative.
# Rules encode my per-advertiser reading; each output row was then reviewed by eye.
import csv,collections,unicodedata,re,sys
D='/work/shared/data/'
def norm(s): return unicodedata.normalize('NFKC',s).lower()
FB=[ # (pattern, group, niche, evidence)
 ('#onlyinmn','explore_minnesota','travel','text'),
 ('medical | dental benefits','health_plan_diabetes','health','text'),
 ('bergen community college','bergen_cc','education','text'),
 ('shop earrings','earrings_store','fashion','text'),
 ('peak results','peak_results_gym','fitness','context'),
 ('reconnect in 2023','gym_enrollment','fitness','context'),
 ('speech-language','speech_pathology_school','education','text'),
 ('row & ride','row_and_ride','fitness','text'),
 ('fitometry','fitometry','fitness','text'),
 ('become a nurse','jewell_nursing','education','text'),
 ('audubon zoo','audubon_zoo','entertainment','text'),
 ('precision planting','precision_planting','unknown','text'),
 ('founding member','gym_founding','fitness','text'),
 ('eat the frog','eat_the_frog','fitness','text'),
 ('etf ','eat_the_frog','fitness','text'),
 ('talk with experts, enjoy complimentary samples','free_tour_store','unknown','context'),
 ('bread & butter wines','bread_butter_wines','food','text'),
 ('xgt','xgt_fitness','fitness','text'),
 ('join today and get your first month for only $99','gym_99','fitness','context'),
 ('3 day vip pass','gym_vip_pass','fitness','context'),
 ('agrigold','agrigold','unknown','text'),
 ('3 day pass','gym_3day','fitness','context'),
 ('7 day pass','gym_7day','fitness','text'),
 ('7 days!','gym_7day','fitness','context'),
 ('boxing gloves','boxing_gym','fitness','text'),
 ('color + imagine','crayola_experience','entertainment','text'),
 ('pizza','pizza_chain','food','text'),
 ('mets','pizza_chain','food','text'),
 ('financial plan','financial_advisors','finance','text'),
 ('scotsman','scotsman_ice','home_decor','text'),
 ('ice at home','scotsman_ice','home_decor','text'),
 ('customer appreciation days','runnings','ecommerce','text'),
 ('zoryve','zoryve','health','text'),
 ('central bank','central_bank','finance','text'),
 ('bsn','jewell_nursing','education','text'),
 ('earn your degree','rowan_college','education','text'),
 ('#truetonature','visit_washington','travel','text'),
 ('runnings','runnings','ecommerce','text'),
 ('optometry','optometry_school','education','text'),
 ('free shipping','online_store_shipping','ecommerce','text'),
 ('shane co','shane_co','fashion','text'),
 ("get it by valentine's day",'shane_co','fashion','text'),
 ('heatshock fitness','heatshock_fitness','fitness','text'),
 ('fitness incentive','fitness_incentive','fitness','text'),
 ('tiger checking card','bank_tiger_card','finance','text'),
 ('medicaid','meridian_medicaid','health','text'),
 ('meridian','meridian_medicaid','health','text'),
 ('as low as $10/mo','gym_10mo','fitness','context'),
 ('optometry','optometry_school','education','text'),
 ('psychiatry','mo_psychiatry_access','health','text'),
 ('cancer prevention','mu_health_care','health','text'),
 ('join for .23','gym_23c','fitness','context'),
 ('$50 gift card','gym_giftcard','fitness','context'),
 ('treadmills','gym_7day','fitness','text'),
 ('myzone','gym_myzone','fitness','text'),
 ('hiit classes','gym_65k','fitness','text'),
 ('saco sport & fitness','saco_fitness','fitness','text'),
 ('pickle ball','pickleball_club','fitness','text'),
 ('$14.40','gym_1440','fitness','context'),
 ('1-year membership','gym_bogo','fitness','context'),
 ('3 day guest pass','gym_guest_pass','fitness','context'),
 ('$0 to enroll','peak_results_gym','fitness','context'),
 ('$0 enrollment','peak_results_gym','fitness','context'),
 ('tiger talk','mizzou_athletics','entertainment','text'),
 ('20¢','gym_20c','fitness','context'),
 ('newsletter','visit_washington','travel','text'),
 ('bachelor','jewell_business','education','text'),
 ('cardiac screening','mu_health_care','health','text'),
 ('mix & match','pizza_chain','food','text'),
 ('re/max','remax','real_estate','text'),
 ('checking account','central_bank','finance','text'),
 ('team physicians','mu_health_care','health','text'),
 ('business degree','jewell_business','education','text'),
 ('$5 for 5 days','gym_5for5','fitness','context'),
 ('crop nutrition','precision_planting','unknown','text'),
 ('cheezzy','pizza_chain','food','text'),
 ('cheesy','pizza_chain','food','text'),
 ('pase de 3','gym_3day','fitness','context'),
 ('ymca','ymca','unknown','text'),
 ('reclaim is added to sprayers','precision_planting','unknown','text'),
 ('tiger schulmann','tiger_schulmanns','fitness','text'),
 ('nickelodeon universe','nickelodeon_universe','entertainment','text'),
 ("turn what’s possible into what’s real",'take_a_new_look','unknown','context'),
 ('visit columbia','visit_columbia','travel','text'),
 ('combinaison','pizza_chain','food','text'),
 ('use code: 8567','pizza_chain','food','text'),
 ('lem','runnings','ecommerce','text'),
 ('resensation','resensation','health','text'),
 ('únase','gym_23c','fitness','context'),
 ('stretch','stretch_studio','fitness','text'),
 ('trufit','trufit','fitness','text'),
 ('hoffacker','hoffacker_fitness','fitness','text'),
 ('a better you starts today','gym_1440','fitness','context'),
 ('free trial','trufit','fitness','context'),
 ('large network of primary care','meridian_medicaid','health','text'),
 ('adult kickboxing','tiger_schulmanns','fitness','text'),
 ('join for only $23','gym_23','fitness','context'),
 ('one year membership','gym_win_membership','fitness','context'),
]
TT=[
 ('sizzli','wawa','food','text'),
 ('$0 para unirse','gym_tiktok','fitness','context'),
 ('$0 to join','gym_tiktok','fitness','context'),
 ('wawa','wawa','food','text'),
 ('latte','wawa','food','text'),
 ('coffee','wawa','food','text'),
 ('hoagie','wawa','food','text'),
 ('rates as low as','gym_tiktok','fitness','context'),
 ('tarifas','gym_tiktok','fitness','context'),
 ('booster','moderna_booster','health','text'),
 ('rappel','moderna_booster','health','text'),
 ('refuerzo','moderna_booster','health','text'),
 ('fleet','fleetcards_usa','finance','text'),
 ('an od','optometry_school','education','text'),
 ('salted white mocha','wawa','food','text'),
 ('make music with us','tiktok_misc','unknown','context'),
 ('comin’ in clutch','tiktok_misc','unknown','context'),
 ('wait for it','tiktok_misc','unknown','context'),
 ('don’t we all','tiktok_misc','unknown','context'),
 ('decisions','tiktok_misc','unknown','context'),
 ('need one more gift','tiktok_misc','unknown','context'),
 ('optometry','optometry_school','education','text'),
 ('dr. ','optometry_school','education','context'),
 ('fitness','gym_tiktok','fitness','text'),
 ('coming soon to','gym_tiktok','fitness','context'),
 ('join for $0.23','gym_tiktok','fitness','context'),
 ('first month free','gym_tiktok','fitness','context'),
 ('2022 rates','gym_tiktok','fitness','context'),
 ('enroll for $0','gym_tiktok','fitness','context'),
 ('hiv','hiv_selftest','health','text'),
 ('burger','wawa','food','text'),
 ('panini','wawa','food','text'),
 ('pasta bowl','wawa','food','text'),
 ('meat you','wawa','food','text'),
 ('cookie','wawa','food','text'),
 ('rewards','wawa','food','context'),
 ('balanced choices','wawa','food','context'),
 ('calling strong women','gym_tiktok','fitness','context'),
 ('use promo code classic','wawa','food','context'),
 ('sign up today!','tiktok_misc','unknown','context'),
]
def apply(rules, text):
    t=norm(text)
    for pat,g,n,e in rules:
        if pat in t: return g,n,e
    return None
out=[]; miss=[]
rows=list(csv.reader(open(D+'src_ads_creative_facebook_all_data.csv')))
h=rows[0]; ti,bi=h.index('creative_title'),h.index('creative_body')
seen=set()
for r in rows[1:]:
    a,b=r[ti].strip(),r[bi].strip()
    if not (a or b) or (a,b) in seen: continue
    seen.add((a,b))
    text=(a+'\n'+b).strip()
    lab=apply(FB,text)
    if lab is None: miss.append(('fb',text)); continue
    out.append(('facebook',)+lab+(text,))
t=list(csv.reader(open(D+'src_ads_tiktok_ads_all_data.csv')))
ai=t[0].index('ad_text'); seen=set()
for r in t[1:]:
    a=r[ai].strip()
    if not a or a in seen: continue
    seen.add(a)
    lab=apply(TT,a)
    if lab is None: miss.append(('tt',a)); continue
    if lab[0]=='wawa':
        food=['coffee','latte','hoagie','brisket','sandwich','panini','burrito','pasta','soup','mac','mocha','cookie','burger','breakfast','lunch','dinner','cater','meat','ciabatta','menu','bev','drink','flavor']
        lab=(lab[0],lab[1],'text' if any(f in norm(a) for f in food) else 'context')
    out.append(('tiktok',)+lab+(a,))
for m in miss: print('MISS',m, file=sys.stderr)
with open('/work/wt-niche/tests/data/niche_labels.csv','w',newline='') as f:
    w=csv.writer(f, lineterminator='\n')
    w.writerow(['id','source','group','niche','evidence','text'])
    for i,(s,g,n,e,tx) in enumerate(out): w.writerow([f'{s[:2]}{i:03d}',s,g,n,e,tx])
c=collections.Counter(n for _,_,n,_,_ in out); print(len(out), c)
print(collections.Counter(e for *_,e,_ in out))
