"""The offline simulator's small table of maker projects and what it writes for them.

Part of the simulator (see ``brain.py``): each project is a fixed, hand-checked design
whose artifacts validate against Ohm's schemas. Prices are rough and labelled as such.
Firmware takes its pins from the project's wiring artifact when there is one, so code
and wiring stay consistent even after the wiring was edited.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

# ------------------------------------------------------------------------- parts


@dataclass(frozen=True)
class Price:
    """What the catalog does not know: a rough price, where to buy, alternatives."""

    unit_cost: float
    supplier: str
    voltage: str
    current: str
    alternatives: tuple[str, ...] = ()


# Names, part numbers, makers and datasheet links come from Ohm's parts catalog.
PRICES: dict[str, Price] = {
    "esp32-devkit-v1": Price(
        10.0,
        "DigiKey",
        "5V USB / 3.3V logic",
        "80mA typ, 370mA Wi-Fi peak",
        ("DOIT ESP32 DevKit V1",),
    ),
    "arduino-uno": Price(27.6, "Arduino Store", "5V logic", "50mA typ"),
    "raspberry-pi-pico": Price(4.0, "Raspberry Pi resellers", "5V USB / 3.3V logic", "25mA typ"),
    "bme280": Price(8.0, "DigiKey", "3.3V", "1mA", ("BMP280 (no humidity)", "SHT31")),
    "ssd1306-i2c": Price(6.0, "Adafruit / AliExpress", "3.3-5V", "20mA"),
    "hc-sr04": Price(4.5, "SparkFun", "5V", "15mA", ("JSN-SR04T (waterproof)",)),
    "soil-moisture-capacitive": Price(5.9, "DFRobot", "3.3-5.5V", "5mA"),
    "relay-module-5v": Price(2.5, "Amazon / AliExpress", "5V", "75mA coil"),
    "water-pump-5v": Price(2.95, "Adafruit", "2.5-5.5V", "180mA typ, 400mA stall"),
    "diode-1n4007": Price(0.1, "DigiKey", "1000V 1A", "-"),
    "supply-5v": Price(12.0, "DigiKey", "5V", "4000mA max"),
    "pir-hc-sr501": Price(9.95, "Adafruit", "5-20V", "65uA"),
    "sg90": Price(3.5, "Amazon", "4.8-6V", "10mA idle, 650mA stall"),
    "potentiometer": Price(1.0, "DigiKey", "-", "0.3mA"),
    "led-5mm": Price(0.3, "DigiKey", "2.0V forward", "10mA"),
    "resistor": Price(0.1, "DigiKey", "-", "-"),
}


# ----------------------------------------------------------------------- projects


@dataclass(frozen=True)
class Use:
    """One component in a design: wiring id, catalog id, quantity line details."""

    id: str
    part: str
    label: str
    props: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Project:
    key: str
    title: str
    goal: str
    board: str
    uses: tuple[Use, ...]
    connections: tuple[tuple[str, str, str, str, str, str], ...]
    instructions: tuple[str, ...]
    warnings: tuple[str, ...]
    approaches: tuple[str, ...]
    questions: tuple[str, ...]
    supply: str
    supply_ma: float
    typical_ma: float
    peak_ma: float
    firmware: str  # key into FIRMWARE


def _c(
    a: str, ap: str, b: str, bp: str, color: str, notes: str = ""
) -> tuple[str, str, str, str, str, str]:
    return (a, ap, b, bp, color, notes)


PLANT = Project(
    key="plant",
    title="Plant watering monitor",
    goal="Measure soil moisture, show it on a small screen and run a pump when the soil is dry.",
    board="esp32-devkit-v1",
    uses=(
        Use("mcu", "esp32-devkit-v1", "ESP32 DevKit"),
        Use("soil", "soil-moisture-capacitive", "Soil moisture probe"),
        Use("oled", "ssd1306-i2c", "OLED display", {"i2c_address": "0x3C"}),
        Use("relay", "relay-module-5v", "Pump relay"),
        Use("pump", "water-pump-5v", "Water pump"),
        Use("d1", "diode-1n4007", "Pump flyback diode"),
        Use("psu", "supply-5v", "5 V adapter"),
    ),
    connections=(
        _c("psu", "V+", "mcu", "VIN", "red", "5 V feeds the board's regulator"),
        _c("psu", "GND", "mcu", "GND", "black", "one ground for everything"),
        _c("mcu", "3V3", "soil", "VCC", "red"),
        _c("mcu", "GND", "soil", "GND", "black"),
        _c("soil", "AOUT", "mcu", "GPIO34", "yellow", "ADC1 input; fine with Wi-Fi on"),
        _c("mcu", "3V3", "oled", "VCC", "red"),
        _c("mcu", "GND", "oled", "GND", "black"),
        _c("mcu", "GPIO21", "oled", "SDA", "blue", "I2C data"),
        _c("mcu", "GPIO22", "oled", "SCL", "green", "I2C clock"),
        _c("psu", "V+", "relay", "VCC", "red"),
        _c("psu", "GND", "relay", "GND", "black"),
        _c("mcu", "GPIO26", "relay", "IN", "orange", "relay control"),
        _c("psu", "V+", "relay", "COM", "red", "pump supply through the contact"),
        _c("relay", "NO", "pump", "+", "red", "pump runs only when the relay closes"),
        _c("pump", "-", "psu", "GND", "black"),
        _c("d1", "CATHODE", "pump", "+", "red", "diode across the motor: band towards +"),
        _c("d1", "ANODE", "pump", "-", "black", "absorbs the motor's switch-off spike"),
    ),
    instructions=(
        "Unplug USB and the 5 V adapter before wiring.",
        "Run the adapter's GND to the ESP32 GND pin and to the relay module GND (black).",
        "Connect the adapter's +5 V to the ESP32 VIN pin and to the relay module VCC (red).",
        "Power the soil probe and the OLED from the ESP32 3V3 pin, grounds to GND.",
        "Soil probe AOUT to GPIO34 (yellow).",
        "OLED SDA to GPIO21 (blue) and SCL to GPIO22 (green).",
        "Relay IN to GPIO26 (orange).",
        "Adapter +5 V to the relay COM terminal; relay NO to the pump's red lead; "
        "pump black lead to GND.",
        "Solder a 1N4007 across the pump leads: the band (cathode) to the red lead, the "
        "other end to the black lead.",
        "Check every ground with a multimeter in continuity mode before powering up.",
    ),
    warnings=(
        "Never power the pump from the ESP32's 3V3 or a GPIO: it draws up to 400 mA at start.",
        "Keep the pump and its wiring away from the electronics; water and 5 V do not mix.",
        "Use ADC1 pins (GPIO32-39) for analog reads: ADC2 stops working when Wi-Fi is on.",
    ),
    approaches=(
        "ESP32 + capacitive probe + relay module + 5 V pump (Wi-Fi for alerts): about $35-50",
        "Arduino Uno + capacitive probe + MOSFET + pump, no Wi-Fi: about $40-55",
        "Raspberry Pi Pico + probe + MOSFET, battery powered, no screen: about $20-30",
    ),
    questions=(
        "How many plants or pots should it water: one pump, or several zones?",
        "Will it run from a wall adapter, or does it need to run on batteries?",
        "Do you want alerts on your phone over Wi-Fi, or is a local screen enough?",
    ),
    supply="5 V 4 A wall adapter (MEAN WELL GST25A05)",
    supply_ma=4000,
    typical_ma=120,
    peak_ma=900,
    firmware="plant",
)

WEATHER = Project(
    key="weather",
    title="Weather station",
    goal="Measure temperature, humidity and pressure and show them on an OLED display.",
    board="esp32-devkit-v1",
    uses=(
        Use("mcu", "esp32-devkit-v1", "ESP32 DevKit"),
        Use("env", "bme280", "BME280 sensor", {"i2c_address": "0x76"}),
        Use("oled", "ssd1306-i2c", "OLED display", {"i2c_address": "0x3C"}),
    ),
    connections=(
        _c("mcu", "3V3", "env", "VIN", "red", "the bare BME280 is a 3.3 V part"),
        _c("mcu", "GND", "env", "GND", "black"),
        _c("mcu", "GPIO21", "env", "SDA", "blue", "I2C data (shared bus)"),
        _c("mcu", "GPIO22", "env", "SCL", "green", "I2C clock (shared bus)"),
        _c("mcu", "3V3", "oled", "VCC", "red"),
        _c("mcu", "GND", "oled", "GND", "black"),
        _c("mcu", "GPIO21", "oled", "SDA", "blue"),
        _c("mcu", "GPIO22", "oled", "SCL", "green"),
    ),
    instructions=(
        "Unplug USB before wiring.",
        "Power the BME280 and the OLED from the ESP32 3V3 pin (red) and GND (black).",
        "Connect both SDA pins to GPIO21 (blue) and both SCL pins to GPIO22 (green).",
        "Plug in USB and open the serial monitor at 115200 baud.",
    ),
    warnings=(
        "The bare BME280 breakout tolerates at most 3.6 V: never connect it to 5 V.",
        "Keep the sensor away from the ESP32 module, which warms it by a degree or two.",
    ),
    approaches=(
        "ESP32 + BME280 + OLED, data over Wi-Fi: about $25-35",
        "Arduino Uno + BME280 (with a level-shifted breakout) + LCD: about $40-50",
        "Raspberry Pi Pico + BME280 on batteries, logging to flash: about $15-25",
    ),
    questions=(
        "Indoors or outdoors (an outdoor sensor needs a radiation shield)?",
        "Should it log history or send data somewhere (phone, MQTT, a web page)?",
        "Mains power over USB, or batteries?",
    ),
    supply="USB 5 V (phone charger)",
    supply_ma=1000,
    typical_ma=100,
    peak_ma=400,
    firmware="weather",
)

DISTANCE = Project(
    key="distance",
    title="Ultrasonic distance / parking sensor",
    goal="Measure distance with an HC-SR04 and light an LED when something is too close.",
    board="esp32-devkit-v1",
    uses=(
        Use("mcu", "esp32-devkit-v1", "ESP32 DevKit"),
        Use("sonar", "hc-sr04", "HC-SR04 sensor"),
        Use("r1", "resistor", "Divider top 1 kΩ", {"value": 1000}),
        Use("r2", "resistor", "Divider bottom 2 kΩ", {"value": 2000}),
        Use("r3", "resistor", "LED resistor 220 Ω", {"value": 220}),
        Use("led", "led-5mm", "Warning LED"),
    ),
    connections=(
        _c("mcu", "VIN", "sonar", "VCC", "red", "HC-SR04 needs 5 V (USB 5 V on VIN)"),
        _c("mcu", "GND", "sonar", "GND", "black"),
        _c("mcu", "GPIO18", "sonar", "TRIG", "yellow", "3.3 V is enough to trigger"),
        _c("sonar", "ECHO", "r1", "1", "white", "5 V echo into the divider"),
        _c("r1", "2", "mcu", "GPIO19", "white", "divided echo: 5 V x 2k/3k = 3.3 V"),
        _c("r1", "2", "r2", "1", "white"),
        _c("r2", "2", "mcu", "GND", "black"),
        _c("mcu", "GPIO23", "r3", "1", "orange"),
        _c("r3", "2", "led", "ANODE", "orange"),
        _c("led", "CATHODE", "mcu", "GND", "black"),
    ),
    instructions=(
        "Unplug USB before wiring.",
        "HC-SR04 VCC to the ESP32 VIN pin (5 V from USB), GND to GND.",
        "TRIG to GPIO18 (yellow).",
        "ECHO to a 1 kΩ resistor; the resistor's other end to GPIO19 and, "
        "through a 2 kΩ resistor, to GND.",
        "GPIO23 to a 220 Ω resistor, then to the LED's long leg (anode); short leg to GND.",
    ),
    warnings=(
        "ECHO outputs 5 V: never wire it straight to an ESP32 pin (3.3 V maximum).",
        "VIN carries USB 5 V only when the board is powered from USB.",
    ),
    approaches=(
        "ESP32 + HC-SR04 with a resistor divider + LED: about $15-20",
        "Arduino Uno + HC-SR04 (5 V logic, no divider needed) + buzzer: about $35-40",
        "Raspberry Pi Pico + waterproof JSN-SR04T for outdoor use: about $15-25",
    ),
    questions=(
        "What distance range matters (a garage wall at 30-200 cm, or a robot at 5-50 cm)?",
        "Should it warn with light, sound, or both?",
        "Indoors, or exposed to rain and dust?",
    ),
    supply="USB 5 V (phone charger)",
    supply_ma=1000,
    typical_ma=110,
    peak_ma=400,
    firmware="distance",
)

MOTION = Project(
    key="motion",
    title="Motion-activated light",
    goal="Switch a light on for a while when the PIR sensor sees motion.",
    board="esp32-devkit-v1",
    uses=(
        Use("mcu", "esp32-devkit-v1", "ESP32 DevKit"),
        Use("pir", "pir-hc-sr501", "PIR sensor"),
        Use("relay", "relay-module-5v", "Light relay"),
        Use("psu", "supply-5v", "5 V adapter"),
    ),
    connections=(
        _c("psu", "V+", "mcu", "VIN", "red"),
        _c("psu", "GND", "mcu", "GND", "black"),
        _c("psu", "V+", "pir", "VCC", "red", "HC-SR501 needs at least 5 V"),
        _c("psu", "GND", "pir", "GND", "black"),
        _c("pir", "OUT", "mcu", "GPIO27", "yellow", "PIR output is 3.3 V: safe for the ESP32"),
        _c("psu", "V+", "relay", "VCC", "red"),
        _c("psu", "GND", "relay", "GND", "black"),
        _c("mcu", "GPIO26", "relay", "IN", "orange"),
    ),
    instructions=(
        "Unplug everything before wiring.",
        "Adapter +5 V to ESP32 VIN, PIR VCC and relay VCC (red); all grounds together (black).",
        "PIR OUT to GPIO27 (yellow); relay IN to GPIO26 (orange).",
        "Connect the lamp's low-voltage supply through the relay's COM and NO terminals.",
    ),
    warnings=(
        "Switch only low-voltage lamps (12 V LED strips) unless you are qualified for mains.",
        "The PIR needs about a minute after power-up to settle; ignore triggers until then.",
    ),
    approaches=(
        "ESP32 + HC-SR501 + relay module, adjustable on-time over Wi-Fi: about $25-35",
        "Arduino Uno + HC-SR501 + MOSFET for a 12 V LED strip: about $35-45",
        "A PIR sensor with a built-in relay, no microcontroller: about $10-15",
    ),
    questions=(
        "What light will it switch (12 V LED strip, USB lamp, mains lamp)?",
        "How long should the light stay on after the last motion?",
        "Should it only work when it is dark (add a light sensor)?",
    ),
    supply="5 V 4 A wall adapter (MEAN WELL GST25A05)",
    supply_ma=4000,
    typical_ma=150,
    peak_ma=450,
    firmware="motion",
)

SERVO = Project(
    key="servo",
    title="Knob-controlled servo",
    goal="Turn a servo to follow a potentiometer knob.",
    board="raspberry-pi-pico",
    uses=(
        Use("mcu", "raspberry-pi-pico", "Raspberry Pi Pico"),
        Use("servo", "sg90", "SG90 servo"),
        Use("knob", "potentiometer", "10 kΩ knob"),
        Use("psu", "supply-5v", "5 V adapter"),
    ),
    connections=(
        _c("psu", "V+", "servo", "VCC", "red", "servo power straight from the adapter"),
        _c("psu", "GND", "servo", "GND", "black"),
        _c("psu", "GND", "mcu", "GND", "black", "shared ground for the signal"),
        _c("mcu", "GP15", "servo", "SIG", "orange"),
        _c("mcu", "3V3", "knob", "1", "red"),
        _c("knob", "3", "mcu", "GND", "black"),
        _c("knob", "2", "mcu", "GP26", "yellow", "wiper to ADC0"),
    ),
    instructions=(
        "Unplug USB and the adapter before wiring.",
        "Servo red to adapter +5 V, servo brown to adapter GND, adapter GND to a Pico GND pin.",
        "Servo orange (signal) to GP15.",
        "Potentiometer ends to 3V3 and GND, wiper (middle) to GP26.",
    ),
    warnings=(
        "Never power the servo from the Pico's 3V3 pin: a stalled SG90 draws several hundred mA.",
    ),
    approaches=(
        "Raspberry Pi Pico + SG90 + knob, 5 V adapter for the servo: about $15-20",
        "Arduino Uno + SG90 with the Servo library: about $35",
        "ESP32 + SG90, controlled from a phone over Wi-Fi: about $20-25",
    ),
    questions=(
        "What will the servo move, and how much force does it need?",
        "Should the knob control it directly, or should it also move on its own?",
        "USB power only, or a battery pack?",
    ),
    supply="5 V 4 A wall adapter (MEAN WELL GST25A05)",
    supply_ma=4000,
    typical_ma=60,
    peak_ma=700,
    firmware="servo",
)

PROJECTS = (PLANT, WEATHER, DISTANCE, MOTION, SERVO)

_KEYWORDS: dict[str, tuple[str, ...]] = {
    "plant": ("soil", "plant", "water", "garden", "moisture", "irrigat", "pump", "greenhouse"),
    "weather": (
        "weather",
        "temperature",
        "humidity",
        "pressure",
        "climate",
        "thermometer",
        "bme280",
        "air",
    ),
    "distance": (
        "distance",
        "parking",
        "ultrasonic",
        "sonar",
        "hc-sr04",
        "proximity",
        "garage",
        "range",
    ),
    "motion": ("motion", "pir", "presence", "intruder", "security", "night light", "hallway"),
    "servo": ("servo", "pan", "tilt", "robot arm", "knob", "pico"),
}


def pick(text: str) -> Project:
    low = text.lower()
    best, score = WEATHER, 0
    for proj in PROJECTS:
        s = sum(low.count(w) for w in _KEYWORDS[proj.key])
        if s > score:
            best, score = proj, s
    return best


# ---------------------------------------------------------------------- documents


def context_doc(p: Project, message: str) -> str:
    idea = " ".join(message.split())[:400]
    return "\n".join(
        [
            f"# {p.title}",
            "",
            "## Goal",
            p.goal,
            "",
            "## What the maker said",
            f"> {idea}",
            "",
            "## Likely approach",
            f"- {p.approaches[0]}",
            "",
            "## Other options",
            *[f"- {a}" for a in p.approaches[1:]],
            "",
            "## Open questions",
            *[f"- {q}" for q in p.questions],
        ]
    )


def kickoff_reply(p: Project) -> str:
    lines = [
        f"What a great project! A {p.title.lower()} is a perfect build: {p.goal[0].lower()}"
        f"{p.goal[1:]}",
        "",
        "Here are three ways to build it (prices are rough ranges):",
    ]
    lines += [f"{n}. {a}" for n, a in enumerate(p.approaches, 1)]
    lines += [
        "",
        "I would start with option 1: it keeps the wiring simple and leaves room to grow.",
        "",
        "A few questions so I can tailor the design:",
    ]
    lines += [f"- {q}" for q in p.questions[:3]]
    lines += [
        "",
        "I saved a project brief as the `context` artifact. Ask for the parts list "
        "when you are ready.",
    ]
    return "\n".join(lines)


def document(p: Project, kind: str) -> str:
    if kind == "context":
        return context_doc(p, p.goal)
    if kind == "mvp":
        return "\n".join(
            [
                f"# MVP: {p.title}",
                "",
                "## In the first build",
                f"- [ ] {p.goal}",
                "- [ ] Readings printed on the serial monitor every few seconds",
                "- [ ] Safe start-up: every output off until the first valid reading",
                "- [ ] Sensor faults detected and reported instead of acted on",
                "",
                "## Left out on purpose",
                "- Enclosure and weatherproofing",
                "- Phone app or cloud dashboard",
                "- Battery operation",
            ]
        )
    return "\n".join(
        [
            f"# PRD: {p.title}",
            "",
            "## Purpose",
            p.goal,
            "",
            "## Functional requirements",
            "1. The device measures at a fixed interval (default every 2 s) without blocking.",
            "2. Invalid sensor reads (NaN, out of range, timeout) are retried up to 3 times, "
            "then reported and ignored.",
            "3. Outputs return to a safe state within 1 s of a sensor fault.",
            "",
            "## Electrical requirements",
            f"- Supply: {p.supply}; budget {p.typical_ma:.0f} mA typical, {p.peak_ma:.0f} mA peak.",
            "- Every signal stays within the receiving pin's voltage range.",
            "- All grounds are joined.",
            "",
            "## Acceptance checks",
            "- Ohm's wiring, BOM and firmware checks report no errors.",
            "- The serial monitor shows valid readings for 10 minutes without a reset.",
        ]
    )


def documents_reply(p: Project) -> str:
    return (
        f"I wrote three documents for the {p.title.lower()}: the project brief (`context`), "
        "the smallest useful first version (`mvp`) and testable requirements (`prd`). "
        "Have a look and tell me what to change."
    )


def chat_answer(message: str, p: Project) -> str:
    low = message.lower()
    if "i2c" in low:
        return (
            "I2C is a two-wire bus (SDA for data, SCL for clock) shared by several "
            "devices, each at its own 7-bit address. Both lines need pull-up resistors "
            "(4.7 kΩ is a common choice for short wires at 100 kHz); most breakout boards "
            "already have them. Two devices with the same address cannot share a bus "
            "unless one can change its address pin."
        )
    if "level" in low or "5v" in low or "5 v" in low:
        return (
            "A 3.3 V microcontroller like the ESP32 or the Pico is damaged by 5 V on its "
            "pins. For a 5 V signal coming in, use a resistor divider (1 kΩ over 2 kΩ "
            "gives 3.3 V) or a level shifter; a 3.3 V signal going out to a 5 V part "
            "usually works as is, but check the part's input-high threshold."
        )
    if "battery" in low or "power" in low:
        return (
            "For battery life, add up the average current: an ESP32 with Wi-Fi on draws "
            "about 80-120 mA, so a 2000 mAh cell lasts under a day; with deep sleep "
            "between readings it can last weeks. Tell me how often it must wake up and "
            "I can estimate it."
        )
    return (
        f"Happy to help with your {p.title.lower()}. I can explain any part of it, compare "
        "options, or write a plan (MVP and requirements). When you want the parts list, the "
        "wiring or the firmware, just ask for it and the right specialist will take over."
    )


# ---------------------------------------------------------------------------- BOM


def _bom_lines(p: Project) -> list[dict[str, Any]]:
    from tools.checks import load_catalog

    catalog = load_catalog()
    lines: dict[str, dict[str, Any]] = {}
    for u in p.uses:
        price = PRICES[u.part]
        part = catalog.get(u.part)
        if part is None:  # pragma: no cover - the designs only use catalog parts
            raise KeyError(u.part)
        name, pn, key = part.name, part.mpn or part.name, u.part
        if u.part == "resistor":
            value = int(u.props.get("value", 1000))
            pn = key = f"CFR-25JB-52-{_ohms_code(value)}"
            name = f"Resistor {_ohms_label(value)}, 1/4 W 5%"
        if key in lines:
            lines[key]["quantity"] += 1
            continue
        lines[key] = {
            "name": name,
            "part_number": pn,
            "manufacturer": "Yageo" if u.part == "resistor" else part.manufacturer,
            "quantity": 1,
            "voltage": price.voltage,
            "current": price.current,
            "unit_cost": price.unit_cost,
            "supplier": price.supplier,
            "link": part.source,
            "notes": "Price is a rough estimate in USD.",
            "alternatives": list(price.alternatives),
            "catalog_id": u.part,
        }
    return list(lines.values())


def _ohms_code(v: int) -> str:
    """Yageo CFR value code: 220R, 1K, 4K7."""
    if v >= 1000:
        whole, rest = divmod(v, 1000)
        return f"{whole}K{rest // 100}" if rest // 100 else f"{whole}K"
    return f"{v}R"


def _ohms_label(v: int) -> str:
    return f"{v / 1000:g} kΩ" if v >= 1000 else f"{v} Ω"


def bom(p: Project) -> dict[str, Any]:
    return {
        "project_name": p.title,
        "summary": p.goal,
        "components": _bom_lines(p),
        "power_analysis": {
            "supply": p.supply,
            "supply_voltage": 5.0,
            "supply_current_ma": p.supply_ma,
            "typical_current_ma": p.typical_ma,
            "peak_current_ma": p.peak_ma,
            "notes": f"Peak {p.peak_ma:.0f} mA leaves margin on a {p.supply_ma:.0f} mA supply.",
        },
        "warnings": list(p.warnings),
        "assembly_notes": ["Wire on a breadboard first; solder only after the firmware works."],
    }


def bom_reply(p: Project) -> str:
    lines = _bom_lines(p)
    total = sum(c["unit_cost"] * c["quantity"] for c in lines)
    return "\n".join(
        [
            f"Here is the parts list for the {p.title.lower()}: {len(lines)} line items, "
            f"about ${total:.2f} in total (rough prices).",
            f"Power: {p.supply}, {p.typical_ma:.0f} mA typical and {p.peak_ma:.0f} mA peak "
            f"against {p.supply_ma:.0f} mA available.",
            "Read before buying:",
            *[f"- {w}" for w in p.warnings],
        ]
    )


# ------------------------------------------------------------------------- wiring


def wiring(p: Project) -> dict[str, Any]:
    return {
        "components": [
            {"id": u.id, "part": u.part, "label": u.label, "props": dict(u.props)} for u in p.uses
        ],
        "connections": [
            {
                "from_component": a,
                "from_pin": ap,
                "to_component": b,
                "to_pin": bp,
                "wire_color": color,
                "notes": notes or None,
            }
            for a, ap, b, bp, color, notes in p.connections
        ],
        "instructions": list(p.instructions),
        "warnings": list(p.warnings),
    }


def wiring_reply(p: Project) -> str:
    return "\n".join(
        [
            f"The wiring for the {p.title.lower()} is saved ({len(p.connections)} connections).",
            "Step by step:",
            *[f"{n}. {s}" for n, s in enumerate(p.instructions, 1)],
            "Warnings:",
            *[f"- {w}" for w in p.warnings],
        ]
    )


# ------------------------------------------------------------------------ firmware


@dataclass(frozen=True)
class FileOut:
    path: str
    language: str
    content: str


MCUS = {"esp32-devkit-v1", "arduino-uno", "raspberry-pi-pico", "arduino-nano", "esp8266-nodemcu"}


def pin_map(wiring_obj: dict[str, Any]) -> dict[tuple[str, str], str]:
    """(component id, pin) -> the MCU pin it reaches, directly or through one resistor."""
    comps = {c["id"]: c["part"] for c in wiring_obj.get("components", [])}
    mcu = next((cid for cid, part in comps.items() if part in MCUS), None)
    if mcu is None:
        return {}
    parent: dict[tuple[str, str], tuple[str, str]] = {}

    def find(x: tuple[str, str]) -> tuple[str, str]:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for c in wiring_obj.get("connections", []):
        a = (c["from_component"], str(c["from_pin"]).upper())
        b = (c["to_component"], str(c["to_pin"]).upper())
        parent[find(a)] = find(b)
    nets: dict[tuple[str, str], set[tuple[str, str]]] = {}
    for node in list(parent):
        nets.setdefault(find(node), set()).add(node)

    def mcu_pins(net: set[tuple[str, str]]) -> list[str]:
        return [pin for cid, pin in net if cid == mcu and pin not in ("GND", "3V3", "VIN", "5V")]

    out: dict[tuple[str, str], str] = {}
    for net in nets.values():
        direct = mcu_pins(net)
        for cid, pin in net:
            if cid == mcu:
                continue
            if direct:
                out[(cid, pin)] = direct[0]
                continue
            # one resistor away (LED resistors, echo dividers)
            for rid, rpin in net:
                if comps.get(rid) == "resistor":
                    other = (rid, "2" if rpin == "1" else "1")
                    far = nets.get(find(other), set())
                    pins = mcu_pins(far)
                    if pins:
                        out[(cid, pin)] = pins[0]
                        break
    return out


def _code_pin(pin: str) -> str:
    m = re.match(r"^(GPIO|GP|D)(\d+)$", pin.upper())
    if m:
        return m.group(2)
    return pin.upper()  # A0..A5 are Arduino constants


_PIO = {
    "esp32-devkit-v1": ("espressif32", "esp32dev"),
    "arduino-uno": ("atmelavr", "uno"),
    "raspberry-pi-pico": ("raspberrypi", "pico"),
}

_ROLES: dict[str, tuple[tuple[str, str, str, str], ...]] = {
    # firmware key -> (define name, component id, component pin, fallback MCU pin)
    "plant": (
        ("SOIL_PIN", "soil", "AOUT", "GPIO34"),
        ("RELAY_PIN", "relay", "IN", "GPIO26"),
        ("I2C_SDA_PIN", "oled", "SDA", "GPIO21"),
        ("I2C_SCL_PIN", "oled", "SCL", "GPIO22"),
    ),
    "weather": (("I2C_SDA_PIN", "env", "SDA", "GPIO21"), ("I2C_SCL_PIN", "env", "SCL", "GPIO22")),
    "distance": (
        ("TRIG_PIN", "sonar", "TRIG", "GPIO18"),
        ("ECHO_PIN", "sonar", "ECHO", "GPIO19"),
        ("LED_PIN", "led", "ANODE", "GPIO23"),
    ),
    "motion": (("PIR_PIN", "pir", "OUT", "GPIO27"), ("RELAY_PIN", "relay", "IN", "GPIO26")),
    "servo": (("SERVO_PIN", "servo", "SIG", "GP15"), ("KNOB_PIN", "knob", "2", "GP26")),
}

_LIBS = {
    "plant": ("adafruit/Adafruit SSD1306@^2.5.9", "adafruit/Adafruit GFX Library@^1.11.9"),
    "weather": (
        "adafruit/Adafruit BME280 Library@^2.2.4",
        "adafruit/Adafruit SSD1306@^2.5.9",
        "adafruit/Adafruit GFX Library@^1.11.9",
    ),
    "distance": (),
    "motion": (),
    "servo": (),
}


def firmware(p: Project, wiring_obj: dict[str, Any] | None) -> list[FileOut]:
    pins = pin_map(wiring_obj or wiring(p))
    board = p.board
    if wiring_obj:
        board = next(
            (c["part"] for c in wiring_obj.get("components", []) if c.get("part") in _PIO), board
        )
    platform, pio_board = _PIO.get(board, _PIO["esp32-devkit-v1"])
    defines = []
    for name, cid, cpin, fallback in _ROLES[p.firmware]:
        mcu_pin = pins.get((cid, cpin.upper()), fallback)
        defines.append(f"#define {name:<14} {_code_pin(mcu_pin):<4} // {cid}.{cpin} -> {mcu_pin}")
    libs = _LIBS[p.firmware]
    ini = [
        "; PlatformIO project for " + p.title,
        f"[env:{pio_board}]",
        f"platform = {platform}",
        f"board = {pio_board}",
        "framework = arduino",
        "monitor_speed = 115200",
    ]
    if libs:
        ini.append("lib_deps =")
        ini += [f"    {lib}" for lib in libs]
    config = "\n".join(
        [
            "#pragma once",
            f"// Pin map and settings for the {p.title.lower()}.",
            "// Pins follow the project's wiring artifact; change them there first.",
            "",
            *defines,
            "",
            *_SETTINGS[p.firmware],
            "",
        ]
    )
    return [
        FileOut("platformio.ini", "ini", "\n".join(ini) + "\n"),
        FileOut("include/config.h", "cpp", config),
        FileOut("src/main.cpp", "cpp", _MAIN[p.firmware].strip() + "\n"),
    ]


def code_reply(p: Project) -> str:
    return "\n".join(
        [
            f"The firmware for the {p.title.lower()} is saved as a PlatformIO project: "
            "`platformio.ini`, `include/config.h` (pins and settings) and `src/main.cpp`.",
            "The main loop never blocks: every task runs on its own `millis()` schedule, and "
            "sensor reads are checked before they are used.",
            "Build and upload with `pio run -t upload`, then `pio device monitor` to watch "
            "the readings at 115200 baud.",
        ]
    )


_SETTINGS: dict[str, tuple[str, ...]] = {
    "plant": (
        "#define READ_INTERVAL_MS    2000UL",
        "#define DISPLAY_INTERVAL_MS 1000UL",
        "#define SOIL_DRY_RAW        3000   // raw ADC in dry air; calibrate",
        "#define SOIL_WET_RAW        1300   // raw ADC in water; calibrate",
        "#define WATER_BELOW_PCT     30     // start the pump below this moisture",
        "#define PUMP_MAX_MS         8000UL // never run the pump longer than this",
        "#define PUMP_REST_MS        60000UL",
        "#define OLED_ADDR           0x3C",
    ),
    "weather": (
        "#define READ_INTERVAL_MS    2000UL",
        "#define BME280_ADDR         0x76",
        "#define OLED_ADDR           0x3C",
    ),
    "distance": (
        "#define PING_INTERVAL_MS    100UL",
        "#define ECHO_TIMEOUT_US     30000UL // about 5 m; longer means no echo",
        "#define WARN_BELOW_CM       30.0f",
    ),
    "motion": (
        "#define LIGHT_ON_MS         60000UL",
        "#define PIR_SETTLE_MS       60000UL",
        "#define RELAY_ACTIVE_LOW    1",
    ),
    "servo": (
        "#define UPDATE_INTERVAL_MS  20UL",
        "#define SERVO_MIN_US        500",
        "#define SERVO_MAX_US        2400",
    ),
}

_MAIN: dict[str, str] = {
    "plant": r"""
// Plant watering monitor: reads soil moisture, shows it, and waters when dry.
#include <Arduino.h>
#include <Wire.h>
#include <Adafruit_GFX.h>
#include <Adafruit_SSD1306.h>
#include "config.h"

static Adafruit_SSD1306 display(128, 64, &Wire, -1);
static bool displayOk = false;
static int moisturePct = -1;        // -1 until the first valid read
static bool sensorFault = false;
static bool pumpOn = false;
static uint32_t pumpStartedMs = 0, pumpStoppedMs = 0, lastReadMs = 0, lastDrawMs = 0;

static void setPump(bool on, uint32_t now) {
  pumpOn = on;
  digitalWrite(RELAY_PIN, on ? HIGH : LOW);
  if (on) pumpStartedMs = now; else pumpStoppedMs = now;
}

// A disconnected probe reads at the rails; anything there is a fault, not a value.
static bool readMoisture(int &pct) {
  long sum = 0;
  for (int i = 0; i < 8; i++) sum += analogRead(SOIL_PIN);
  const int raw = sum / 8;
  if (raw < 100 || raw > 4000) return false;
  pct = constrain(map(raw, SOIL_DRY_RAW, SOIL_WET_RAW, 0, 100), 0, 100);
  return true;
}

void setup() {
  pinMode(RELAY_PIN, OUTPUT);
  digitalWrite(RELAY_PIN, LOW);      // pump off before anything else
  Serial.begin(115200);
  Wire.begin(I2C_SDA_PIN, I2C_SCL_PIN);
  displayOk = display.begin(SSD1306_SWITCHCAPVCC, OLED_ADDR);
  if (!displayOk) Serial.println("OLED not found at 0x3C; continuing without it");
  analogReadResolution(12);
}

void loop() {
  const uint32_t now = millis();

  if (now - lastReadMs >= READ_INTERVAL_MS) {
    lastReadMs = now;
    int pct;
    sensorFault = !readMoisture(pct);
    if (sensorFault) {
      Serial.println("soil probe fault: check the AOUT wire");
    } else {
      moisturePct = pct;
      Serial.printf("moisture %d%%\n", moisturePct);
    }
  }

  // Water only on valid data, never for longer than PUMP_MAX_MS, then rest.
  if (pumpOn && (sensorFault || now - pumpStartedMs >= PUMP_MAX_MS)) {
    setPump(false, now);
  } else if (!pumpOn && !sensorFault && moisturePct >= 0 && moisturePct < WATER_BELOW_PCT &&
             now - pumpStoppedMs >= PUMP_REST_MS) {
    setPump(true, now);
  }

  if (displayOk && now - lastDrawMs >= DISPLAY_INTERVAL_MS) {
    lastDrawMs = now;
    display.clearDisplay();
    display.setTextColor(SSD1306_WHITE);
    display.setTextSize(2);
    display.setCursor(0, 0);
    if (sensorFault) display.print("PROBE?");
    else { display.print(moisturePct); display.print("%"); }
    display.setTextSize(1);
    display.setCursor(0, 40);
    display.print(pumpOn ? "watering" : "idle");
    display.display();
  }
}
""",
    "weather": r"""
// Weather station: BME280 readings on an OLED and the serial monitor.
#include <Arduino.h>
#include <Wire.h>
#include <Adafruit_BME280.h>
#include <Adafruit_GFX.h>
#include <Adafruit_SSD1306.h>
#include "config.h"

static Adafruit_BME280 bme;
static Adafruit_SSD1306 display(128, 64, &Wire, -1);
static bool bmeOk = false, displayOk = false;
static uint32_t lastReadMs = 0, lastRetryMs = 0;

// Reject values the sensor cannot produce: they mean a bus or wiring fault.
static bool plausible(float t, float h, float p) {
  return !isnan(t) && !isnan(h) && !isnan(p) && t > -40 && t < 85 && h >= 0 && h <= 100 &&
         p > 300 && p < 1100;
}

void setup() {
  Serial.begin(115200);
  Wire.begin(I2C_SDA_PIN, I2C_SCL_PIN);
  bmeOk = bme.begin(BME280_ADDR, &Wire);
  displayOk = display.begin(SSD1306_SWITCHCAPVCC, OLED_ADDR);
  if (!bmeOk) Serial.println("BME280 not found at 0x76: check SDA/SCL and the address pin");
}

void loop() {
  const uint32_t now = millis();
  if (!bmeOk) {
    if (now - lastRetryMs >= 5000) {  // retry without blocking the loop
      lastRetryMs = now;
      bmeOk = bme.begin(BME280_ADDR, &Wire);
    }
    return;
  }
  if (now - lastReadMs < READ_INTERVAL_MS) return;
  lastReadMs = now;

  const float t = bme.readTemperature();
  const float h = bme.readHumidity();
  const float p = bme.readPressure() / 100.0f;
  if (!plausible(t, h, p)) {
    Serial.println("implausible reading skipped");
    return;
  }
  Serial.printf("%.1f C  %.0f %%RH  %.1f hPa\n", t, h, p);
  if (displayOk) {
    display.clearDisplay();
    display.setTextColor(SSD1306_WHITE);
    display.setTextSize(2);
    display.setCursor(0, 0);
    display.printf("%.1fC\n%.0f%%\n", t, h);
    display.setTextSize(1);
    display.printf("%.1f hPa", p);
    display.display();
  }
}
""",
    "distance": r"""
// Ultrasonic distance sensor: times the echo with an interrupt, never with pulseIn().
#include <Arduino.h>
#include "config.h"

static volatile uint32_t echoStartUs = 0, echoWidthUs = 0;
static volatile bool echoDone = false;
static uint32_t lastPingMs = 0, pingSentUs = 0;
static bool waiting = false;
static float distanceCm = NAN;

static void IRAM_ATTR onEcho() {
  const uint32_t now = micros();
  if (digitalRead(ECHO_PIN)) {
    echoStartUs = now;
  } else {
    echoWidthUs = now - echoStartUs;
    echoDone = true;
  }
}

void setup() {
  Serial.begin(115200);
  pinMode(TRIG_PIN, OUTPUT);
  digitalWrite(TRIG_PIN, LOW);
  pinMode(ECHO_PIN, INPUT);
  pinMode(LED_PIN, OUTPUT);
  digitalWrite(LED_PIN, LOW);
  attachInterrupt(digitalPinToInterrupt(ECHO_PIN), onEcho, CHANGE);
}

void loop() {
  const uint32_t nowMs = millis();
  if (!waiting && nowMs - lastPingMs >= PING_INTERVAL_MS) {
    lastPingMs = nowMs;
    echoDone = false;
    digitalWrite(TRIG_PIN, HIGH);   // the 10 us trigger pulse is the only wait
    delayMicroseconds(10);
    digitalWrite(TRIG_PIN, LOW);
    pingSentUs = micros();
    waiting = true;
  }
  if (waiting && echoDone) {
    waiting = false;
    const float cm = echoWidthUs / 58.0f;
    if (cm >= 2.0f && cm <= 400.0f) {   // outside the sensor's range means a bad echo
      distanceCm = cm;
      Serial.printf("%.1f cm\n", distanceCm);
    }
  } else if (waiting && micros() - pingSentUs > ECHO_TIMEOUT_US) {
    waiting = false;                    // no echo: nothing in range
    distanceCm = NAN;
  }
  digitalWrite(LED_PIN, (!isnan(distanceCm) && distanceCm < WARN_BELOW_CM) ? HIGH : LOW);
}
""",
    "motion": r"""
// Motion-activated light: PIR input, relay output with an off timer.
#include <Arduino.h>
#include "config.h"

static uint32_t lastMotionMs = 0;
static bool lightOn = false;

static void setLight(bool on) {
  lightOn = on;
  digitalWrite(RELAY_PIN, (on ^ RELAY_ACTIVE_LOW) ? HIGH : LOW);
}

void setup() {
  pinMode(RELAY_PIN, OUTPUT);
  setLight(false);                 // light off before the PIR settles
  pinMode(PIR_PIN, INPUT);
  Serial.begin(115200);
}

void loop() {
  const uint32_t now = millis();
  if (now < PIR_SETTLE_MS) return; // the HC-SR501 triggers at random while it settles
  if (digitalRead(PIR_PIN) == HIGH) {
    if (!lightOn) Serial.println("motion: light on");
    lastMotionMs = now;
    setLight(true);
  } else if (lightOn && now - lastMotionMs >= LIGHT_ON_MS) {
    Serial.println("no motion: light off");
    setLight(false);
  }
}
""",
    "servo": r"""
// Knob-controlled servo on the Pico: reads the knob and updates the servo every 20 ms.
#include <Arduino.h>
#include <Servo.h>
#include "config.h"

static Servo servo;
static uint32_t lastUpdateMs = 0;
static int lastUs = -1;

void setup() {
  Serial.begin(115200);
  servo.attach(SERVO_PIN, SERVO_MIN_US, SERVO_MAX_US);
  analogReadResolution(12);
}

void loop() {
  const uint32_t now = millis();
  if (now - lastUpdateMs < UPDATE_INTERVAL_MS) return;
  lastUpdateMs = now;
  const int raw = analogRead(KNOB_PIN);
  if (raw < 0 || raw > 4095) return;   // not a valid 12-bit reading
  const int us = map(raw, 0, 4095, SERVO_MIN_US, SERVO_MAX_US);
  if (abs(us - lastUs) > 8) {          // ignore ADC noise so the servo does not hum
    servo.writeMicroseconds(us);
    lastUs = us;
  }
}
""",
}


# ----------------------------------------------------------------------- debugging


def diagnosis(message: str, reads: dict[str, Any], findings: list[dict[str, Any]]) -> str:
    low = message.lower()
    lines = ["Here is my diagnosis, from the project's artifacts and your description."]
    errors = [f for f in findings if f.get("severity") == "error"]
    if errors:
        lines.append("")
        lines.append("First, Ohm's checks found problems in the design itself:")
        lines += [
            f"- {f.get('rule')}: {f.get('message')} Fix: {f.get('fix', '')}".rstrip()
            for f in errors[:6]
        ]
    mismatches = _pin_mismatches(reads)
    if mismatches:
        lines.append("")
        lines.append("The firmware and the wiring disagree:")
        lines += [f"- {m}" for m in mismatches]
    lines.append("")
    lines.append("Most likely causes, in order:")
    causes: list[str] = []
    if any(w in low for w in ("nan", "0", "zero", "no reading", "not found", "garbage")):
        causes.append(
            "A sensor that is not answering: check its power (measure VCC to GND "
            "with a multimeter) and that SDA/SCL or the data wire go to the pins "
            "in `include/config.h`."
        )
    if any(w in low for w in ("reset", "reboot", "brownout", "restart")):
        causes.append(
            "The supply sags when a load switches on: power motors, pumps and "
            "relays from the adapter, not the board, and join the grounds. Watch "
            "the serial monitor for 'Brownout detector was triggered'."
        )
    if any(w in low for w in ("hot", "smoke", "smell")):
        causes.append(
            "Unplug it now. A part that gets hot is usually on the wrong voltage or "
            "shorted: compare each VCC pin with the wiring artifact before you "
            "power it again."
        )
    causes.append(
        "A loose breadboard contact or a wire one row off: compare every "
        "connection with the wiring table, one by one."
    )
    causes.append(
        "Missing common ground between two supplies: measure continuity between every GND pin."
    )
    lines += [f"{n}. {c}" for n, c in enumerate(causes, 1)]
    present = [k for k in ("wiring", "bom", "code", "context") if reads.get(k)]
    lines.append("")
    lines.append(
        f"I read: {', '.join(present) if present else 'no artifacts yet'}. "
        "Tell me what the serial monitor prints and I can narrow it down."
    )
    return "\n".join(lines)


def _pin_mismatches(reads: dict[str, Any]) -> list[str]:
    wiring_obj = reads.get("wiring")
    files = reads.get("code") or []
    if not isinstance(wiring_obj, dict) or not files:
        return []
    config = next((f.get("content", "") for f in files if f.get("path") == "include/config.h"), "")
    used = set(pin_map(wiring_obj).values())
    wired = {_code_pin(p) for p in used}
    out = []
    for name, value in re.findall(r"#define\s+(\w+_PIN)\s+(\w+)", config):
        if value not in wired:
            out.append(
                f"{name} is {value} in config.h, but nothing in the wiring reaches that pin."
            )
    return out
