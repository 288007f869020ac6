"""The vocabulary's one rule for menu titles: no two indicators read the same, in the static page and the workspace."""

from marginalgains.io.catalogue import catalogue_from_dict
from marginalgains.model import Indicator, Measure, Polarity, distinct_titles


def made(id, title, sex="", age=""):
    return Indicator(id=id, title=title, polarity=Polarity.HIGH_IS_GOOD, measure=Measure.PROPORTION, sex=sex, age=age)


def test_shared_titles_say_their_breakdown_then_their_id():
    given = [made("a", "Uptake", "Male", "All ages"), made("b", "Uptake", "Female"), made("c", "Uptake (Persons)", "Persons"),
             made("d", "Uptake (Persons)"), made("e", "Smoking"), made("f", "Smoking"), made("g", "Alone", "Male"),
             made("h", "Same", "Male"), made("i", "Same", "Male")]
    titles = {k: i.title for k, i in distinct_titles({i.id: i for i in given}).items()}
    assert titles == {"a": "Uptake (Male, All ages)", "b": "Uptake (Female)",
                      "c": "Uptake (Persons) [c]", "d": "Uptake (Persons) [d]",  # "Persons" already said: the ids
                      "e": "Smoking [e]", "f": "Smoking [f]", "g": "Alone",  # a title no other has is left as it is
                      "h": "Same [h]", "i": "Same [i]"}  # one breakdown shared: saying it would tell them not apart


def test_a_tidy_catalogue_of_breakdowns_under_one_title_reads_distinctly():
    document = {"indicators": [
        {"id": "screened", "title": "Screening uptake", "polarity": "high_is_good", "measure": "proportion",
         "sex": "Persons", "family": "screening"},
        {"id": "screened-m", "title": "Screening uptake", "polarity": "high_is_good", "measure": "proportion",
         "sex": "Male", "family": "screening"},
        {"id": "screened-f", "title": "Screening uptake", "polarity": "high_is_good", "measure": "proportion",
         "sex": "Female", "family": "screening"}]}
    titles = {k: i.title for k, i in catalogue_from_dict(document).indicators.items()}
    assert titles == {"screened": "Screening uptake (Persons)", "screened-m": "Screening uptake (Male)",
                      "screened-f": "Screening uptake (Female)"}
