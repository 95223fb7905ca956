//! The crosslearn Worker (placeholder; see worker/README).
