//! Plain ads whose niche any shipped niche model must get right (shared by the niche tests).

use crosslearn::niche::Niche;

/// One unambiguous ad per niche the shipped models are checked on.
pub const PLAIN_ADS: [(&str, Niche); 9] = [
    (
        "Join our gym: HIIT classes, cardio and free weights. First month free!",
        Niche::Fitness,
    ),
    (
        "New matte lipstick and mascara, shop the beauty collection",
        Niche::Beauty,
    ),
    (
        "Summer dresses, sneakers and denim jackets, new arrivals",
        Niche::Fashion,
    ),
    (
        "Craving pizza? Large 2-topping pizza for $9.99 tonight",
        Niche::Food,
    ),
    (
        "Book your beach resort getaway: flights and hotels included",
        Niche::Travel,
    ),
    (
        "Open a checking account and earn $300. Member FDIC",
        Niche::Finance,
    ),
    (
        "Earn your bachelor's degree online. Enroll for fall classes",
        Niche::Education,
    ),
    (
        "Test drive the new SUV at your local dealership today",
        Niche::Automotive,
    ),
    (
        "Schedule your annual checkup with our doctors at the clinic",
        Niche::Health,
    ),
];
