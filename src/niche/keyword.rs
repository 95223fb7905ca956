//! Keyword niche detection: the original's, bit for bit, and a corrected word-boundary list.
//!
//! **Seed** ([`seed_keyword_niche`], SEED-SPEC §3.3.2): the content is
//! `" ".join(titles + descriptions).lower()`. Niche `k` scores
//!
//! ```text
//! s_k = |{ w in KEYWORDS_k : w is a substring of content }|
//! ```
//!
//! (distinct keywords, raw substring test, no word boundaries). The winner is the first niche in
//! enum order with the maximal `s_k > 0`, with `confidence = min(s_k / 5, 1)`; no match gives
//! `(unknown, 0)`. This reproduces the original's defects on purpose ("ai" matches "email",
//! "car" matches "skincare", "home" counts for real_estate and home_decor): it exists for parity
//! and migration, not for accuracy.
//!
//! **Corrected** ([`keyword_counts`]): a longer, hand-written list per niche, matched on whole
//! tokens of the normalized text (see [`super::text`]); multi-word entries match consecutive
//! tokens. Each distinct entry counts once. The classifier uses these counts as a prior (see
//! [`super::classifier`]); no ambiguous entry ("home", "design", "fun", "tool") is kept.

use super::text::Tokens;
use super::Niche;
use serde::{Deserialize, Serialize};

/// The original's keyword table, in enum order (100 keywords).
#[rustfmt::skip]
pub const SEED_KEYWORDS: [(Niche, &[&str]); 15] = [
    (Niche::Fitness, &["workout", "fitness", "gym", "exercise", "muscle", "training", "bodybuilding"]),
    (Niche::Beauty, &["makeup", "skincare", "beauty", "cosmetics", "skin", "hair", "nail"]),
    (Niche::Fashion, &["fashion", "style", "clothing", "outfit", "wear", "dress", "shoes"]),
    (Niche::Tech, &["tech", "software", "app", "digital", "coding", "programming", "ai"]),
    (Niche::Ecommerce, &["shop", "store", "product", "sale", "buy", "discount", "deal"]),
    (Niche::Food, &["food", "recipe", "cooking", "restaurant", "meal", "chef", "cuisine"]),
    (Niche::Travel, &["travel", "trip", "vacation", "destination", "hotel", "tour", "flight"]),
    (Niche::Finance, &["finance", "money", "invest", "trading", "stock", "crypto", "wealth"]),
    (Niche::Education, &["learn", "education", "course", "teaching", "student", "school", "tutorial"]),
    (Niche::RealEstate, &["real estate", "property", "house", "home", "apartment", "rent", "mortgage"]),
    (Niche::Saas, &["saas", "platform", "subscription", "tool", "dashboard", "analytics"]),
    (Niche::Health, &["health", "medical", "wellness", "doctor", "therapy", "healthcare"]),
    (Niche::Entertainment, &["entertainment", "movie", "music", "game", "fun", "comedy"]),
    (Niche::HomeDecor, &["home", "decor", "interior", "furniture", "design", "decoration"]),
    (Niche::Automotive, &["car", "auto", "vehicle", "automotive", "truck", "motor"]),
];

/// A niche with a confidence in `[0, 1]`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "wasm-lite", derive(tsify::Tsify))]
pub struct KeywordDetection {
    /// The detected niche, `unknown` when no keyword matched.
    pub niche: Niche,
    /// `min(score / 5, 1)`: one of 0, 0.2, 0.4, 0.6, 0.8, 1.
    pub confidence: f64,
}

/// The original's keyword detection (`_keyword_niche_detection(titles, descriptions)`), exactly.
pub fn seed_keyword_niche<S: AsRef<str>>(titles: &[S], descriptions: &[S]) -> KeywordDetection {
    let joined = titles
        .iter()
        .chain(descriptions)
        .map(AsRef::as_ref)
        .collect::<Vec<_>>()
        .join(" ");
    // Rust's `to_lowercase` equals Python's `str.lower` here, final sigma and `İ` included.
    let content = joined.to_lowercase();
    let mut best = (Niche::Unknown, 0usize);
    for (niche, words) in SEED_KEYWORDS {
        let score = words.iter().filter(|w| content.contains(*w)).count();
        // Strict `>`: ties keep the niche listed first.
        if score > best.1 {
            best = (niche, score);
        }
    }
    let confidence = if best.1 == 0 {
        0.0
    } else {
        (best.1 as f64 / 5.0).min(1.0)
    };
    KeywordDetection {
        niche: best.0,
        confidence,
    }
}

/// Version of [`CORRECTED_KEYWORDS`]; a model trained with another list is rejected.
pub const KEYWORDS_VERSION: u16 = 1;

/// The corrected keyword lists, matched on whole normalized tokens (lower-case, accents and
/// "mathematical bold" letters folded to ASCII). Written by hand, not taken from training texts.
#[rustfmt::skip]
pub const CORRECTED_KEYWORDS: [(Niche, &[&str]); 15] = [
    (Niche::Fitness, &[
        "workout", "workouts", "fitness", "gym", "gyms", "exercise", "exercises", "muscle",
        "muscles", "bodybuilding", "personal trainer", "personal training", "cardio", "hiit",
        "pilates", "crossfit", "kettlebell", "kettlebells", "treadmill", "treadmills",
        "weightlifting", "strength training", "kickboxing", "bootcamp", "martial arts", "karate",
        "yoga", "spin class", "group fitness", "stretching", "fit club", "membership fee",
        "free weights", "squats", "burn calories", "fat burning", "weight loss", "protein shake",
        "athletic", "boxing", "cycling class", "barre", "zumba", "jiu jitsu",
        "day pass", "guest pass", "no contracts", "get fit", "fitness studio", "rowing",
    ]),
    (Niche::Beauty, &[
        "makeup", "skincare", "skin care", "beauty", "cosmetics", "lipstick", "mascara",
        "serum", "moisturizer", "shampoo", "conditioner", "haircare", "hair color",
        "nail polish", "manicure", "pedicure", "fragrance", "perfume", "eyeliner", "wrinkles",
        "anti aging", "complexion", "salon", "lashes", "facial", "deodorant", "lip gloss",
        "foundation", "concealer", "blush", "eyeshadow", "sunscreen", "spf", "acne", "pores",
        "hydrating", "radiant skin", "dry skin", "frizz", "hair dye", "blowout",
        "lotion", "cleanser", "toner", "retinol", "collagen", "brows", "waxing", "shaving",
    ]),
    (Niche::Fashion, &[
        "fashion", "clothing", "apparel", "outfit", "outfits", "dress", "dresses", "shoes",
        "sneakers", "jeans", "jacket", "jackets", "handbag", "handbags", "jewelry", "jewellery",
        "earrings", "necklace", "bracelet", "watches", "wristwatch", "streetwear", "menswear",
        "womenswear", "boutique", "t shirt", "tshirt", "hoodie", "hoodies", "denim", "lingerie",
        "boots", "heels", "sunglasses", "diamond", "diamonds", "engagement ring", "wardrobe",
        "new arrivals", "runway", "designer", "tailored", "blouse", "skirt",
        "skirts", "sweater", "sweaters", "leggings", "swimwear", "bikini", "scarf", "scarves",
        "accessories", "lookbook", "size inclusive",
    ]),
    (Niche::Tech, &[
        "tech", "technology", "smartphone", "smartphones", "laptop", "laptops", "gadget",
        "gadgets", "computer", "computers", "tablet", "headphones", "earbuds", "wireless",
        "bluetooth", "processor", "wifi", "5g", "smartwatch", "electronics", "pc", "ai",
        "artificial intelligence", "coding", "programming", "developer", "developers",
        "broadband", "internet service", "mobile phone", "camera", "iphone", "android", "gaming pc",
        "keyboard", "charger", "battery life", "usb", "ssd", "gb", "tb", "4k",
        "router", "smart home", "speaker", "speakers", "drone", "vr", "data plan",
        "unlimited data", "cybersecurity", "antivirus", "printer",
    ]),
    (Niche::Ecommerce, &[
        "shop now", "online store", "free shipping", "add to cart", "checkout", "order online",
        "marketplace", "flash sale", "clearance", "same day delivery", "gift card", "gift cards",
        "promo code", "coupon", "coupons", "bestsellers", "shop online", "deals", "retailer",
        "in store", "black friday", "cyber monday", "limited stock", "% off", "off sitewide",
        "sitewide", "free returns", "ships free", "next day delivery", "order today", "buy now",
        "shop the sale", "doorbusters", "everyday low prices", "shop",
        "shopping", "cart", "discount code", "while supplies last",
    ]),
    (Niche::Food, &[
        "food", "recipe", "recipes", "cooking", "restaurant", "restaurants", "meal", "meals",
        "chef", "cuisine", "pizza", "burger", "burgers", "coffee", "latte", "delicious", "snack",
        "snacks", "sandwich", "sandwiches", "hoagie", "breakfast", "lunch", "dinner", "dessert",
        "desserts", "chicken", "pasta", "wine", "beer", "flavor", "flavors", "tasty", "bakery",
        "cheese", "menu", "catering", "takeout", "brunch", "vegan", "taco", "tacos", "sushi",
        "fries", "wings", "bbq", "grill", "steak", "salad", "soup", "chocolate", "ice cream",
        "cookies", "bread", "drinks", "beverage", "smoothie", "juice", "tea", "cocktail",
        "cocktails", "craving", "cravings", "appetizer", "dine in",
        "yummy", "groceries", "grocery",
    ]),
    (Niche::Travel, &[
        "travel", "trip", "trips", "vacation", "vacations", "destination", "destinations", "hotel",
        "hotels", "resort", "resorts", "flight", "flights", "airline", "airlines", "cruise",
        "cruises", "getaway", "getaways", "itinerary", "tourism", "tourist", "sightseeing",
        "passport", "beach", "beaches", "travel guide", "road trip", "book your stay",
        "all inclusive", "airfare", "tours", "guided",
        "honeymoon", "backpacking", "luggage", "suite", "ocean view", "skiing",
        "national park", "airbnb", "wanderlust", "overseas", "abroad",
    ]),
    (Niche::Finance, &[
        "finance", "financial", "money", "invest", "investing", "investment", "investments",
        "investor", "trading", "stock", "stocks", "crypto", "bitcoin", "wealth", "bank",
        "banking", "checking account", "savings account", "savings", "loan", "loans", "credit",
        "credit card", "interest rate", "apr", "apy", "retirement", "401k", "ira", "insurance",
        "tax", "taxes", "debit card", "fdic", "portfolio", "advisor", "financial advisor",
        "mutual fund", "mutual funds", "etf", "dividends", "cash back", "credit score",
        "debt", "refinance", "personal loan", "budgeting", "fintech", "earn interest",
        "member fdic", "annuity", "brokerage",
    ]),
    (Niche::Education, &[
        "education", "course", "courses", "teaching", "student", "students", "school", "schools",
        "tutorial", "tutoring", "college", "university", "degree", "degrees", "bachelor",
        "bachelors", "masters", "mba", "curriculum", "campus", "online learning", "certificate",
        "certification", "scholarship", "tuition", "academy", "graduate", "graduates", "learn",
        "learning", "teacher", "teachers", "professor", "faculty", "semester", "lessons",
        "class schedule", "admissions", "credit hours", "diploma",
        "bootcamp course", "e learning", "webinar", "masterclass", "exam",
        "career training", "nursing program",
    ]),
    (Niche::RealEstate, &[
        "real estate", "realtor", "realtors", "property", "properties", "house", "houses",
        "apartment", "apartments", "condo", "condos", "mortgage", "homebuyers", "home buyers",
        "listing", "listings", "open house", "buy a home", "sell your home", "first time buyer",
        "rent", "rental", "rentals", "lease", "landlord", "square feet", "sq ft", "bedroom",
        "bedrooms", "bathroom", "bathrooms", "realty", "broker", "home loan", "home value",
        "new home", "dream home", "homes for sale", "for sale", "real estate agent",
        "townhome", "townhomes", "neighborhood", "mls", "move in", "move in ready", "floor plan",
        "floor plans", "acres", "closing costs", "down payment", "pre approved",
        "home inspection", "luxury homes", "tenants", "property management", "remax",
    ]),
    (Niche::Saas, &[
        "saas", "software", "platform", "subscription", "dashboard", "analytics", "crm",
        "workflow", "workflows", "automation", "automate", "integrations", "integration", "api",
        "cloud", "free trial", "start your free trial", "sign up free", "collaboration",
        "productivity", "project management", "invoicing", "payroll", "onboarding", "b2b",
        "enterprise", "scalable", "web hosting", "domain",
        "your team", "seamless", "streamline", "integrates", "no code", "templates",
        "email marketing", "marketing automation", "helpdesk", "ticketing", "scheduling software",
        "accounting software", "per user", "demo", "book a demo", "request a demo",
        "roi",
    ]),
    (Niche::Health, &[
        "health", "healthcare", "health care", "medical", "wellness", "doctor", "doctors",
        "physician", "physicians", "therapy", "clinic", "hospital", "patients", "patient",
        "treatment", "symptoms", "diagnosis", "medicare", "medicaid", "pharmacy", "prescription",
        "dental", "dentist", "vaccine", "booster", "screening", "cancer", "diabetes",
        "mental health", "nurse", "surgery", "chiropractic", "supplement", "supplements",
        "vitamins", "pain relief", "telehealth", "appointment", "urgent care", "care team",
        "providers", "specialist", "specialists", "blood pressure", "cholesterol",
        "therapist", "counseling", "anxiety", "depression", "immune", "allergy",
        "allergies", "medication", "medicine", "hearing", "eye exam",
        "health plan", "covid",
    ]),
    (Niche::Entertainment, &[
        "entertainment", "movie", "movies", "film", "films", "music", "concert", "concerts",
        "game", "games", "gaming", "comedy", "streaming", "festival", "festivals", "tickets",
        "theater", "theatre", "broadway", "podcast", "album", "episode", "episodes",
        "live music", "netflix", "watch now", "premiere", "zoo", "theme park", "amusement park",
        "tour dates", "live show", "comedian", "stand up", "trailer",
        "binge", "playlist", "songs", "artist", "dj", "nightlife",
        "esports", "console", "play now", "now showing", "in theaters", "box office",
       
    ]),
    (Niche::HomeDecor, &[
        "decor", "home decor", "interior", "interiors", "interior design", "furniture",
        "decoration", "decorations", "sofa", "sofas", "couch", "rug", "rugs", "curtain",
        "curtains", "bedding", "lamp", "lamps", "lighting", "cushion", "cushions", "pillows",
        "throw pillows", "wall art", "kitchenware", "cookware", "mattress", "living room",
        "dining table", "bedroom furniture", "home improvement", "renovation", "remodel",
        "wallpaper", "vase", "candles", "tableware", "sheets", "duvet", "comforter", "shelves",
        "shelving", "cabinet", "cabinets", "countertops", "flooring", "tile", "paint colors",
        "patio", "outdoor furniture", "home goods", "appliance",
        "appliances", "dinnerware", "closet", "organizer",
    ]),
    (Niche::Automotive, &[
        "car", "cars", "auto", "vehicle", "vehicles", "automotive", "truck", "trucks", "suv",
        "suvs", "sedan", "dealership", "dealer", "test drive", "mpg", "horsepower", "engine",
        "tires", "motorcycle", "pickup truck", "hybrid", "ev", "electric vehicle", "towing",
        "auto repair", "car wash", "fleet", "oil change", "brakes", "lease deals",
        "all wheel drive", "awd", "4x4", "model year", "certified pre owned",
        "pre owned", "used cars", "new cars", "mechanic", "collision", "detailing",
        "coupe", "convertible", "minivan", "torque", "garage",
    ]),
];

/// Per-niche counts of distinct corrected keywords found in `tokens` (indexed like
/// [`Niche::ALL`]). Matching is on whole tokens; a multi-word entry matches consecutive tokens.
pub fn keyword_counts(tokens: &Tokens) -> [f32; 15] {
    let mut out = [0f32; 15];
    let words = tokens.words();
    for (k, (_, entries)) in CORRECTED_KEYWORDS.iter().enumerate() {
        out[k] = entries
            .iter()
            .filter(|entry| contains_phrase(&words, entry))
            .count() as f32;
    }
    out
}

fn contains_phrase(words: &[&str], phrase: &str) -> bool {
    let parts: Vec<&str> = phrase.split(' ').collect();
    if parts.is_empty() || parts.len() > words.len() {
        return false;
    }
    words.windows(parts.len()).any(|w| w == parts.as_slice())
}

/// The corrected keyword detection on its own: the niche with the most distinct matches (first in
/// enum order on ties), confidence `min(score / 5, 1)`; a baseline for the evaluation.
pub fn corrected_keyword_niche(text: &str) -> KeywordDetection {
    let counts = keyword_counts(&Tokens::new(text));
    let mut best = (Niche::Unknown, 0f32);
    for (k, &c) in counts.iter().enumerate() {
        if c > best.1 {
            best = (Niche::ALL[k], c);
        }
    }
    KeywordDetection {
        niche: best.0,
        confidence: f64::from((best.1 / 5.0).min(1.0)),
    }
}
