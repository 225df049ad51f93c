"""The suite's warning filters (pyproject.toml): the project's own deprecations fail the tests.

A warning is attributed to the module of the frame that ``stacklevel`` points at, so each case is
raised from code that runs under that module's name, as a real call from there would be.
"""

import warnings

import pytest
import sqlalchemy.exc


def _warn_from(module, category, message):
    code = compile('warnings.warn(message, category, stacklevel=1)', module.replace('.', '/'),
                   'exec')
    exec(code, {'__name__': module, 'warnings': warnings, 'message': message,
                'category': category})


@pytest.mark.parametrize('module', ['dcmanager.db.sqlalchemy.probe', 'tests.unit.probe'])
@pytest.mark.parametrize('category', [DeprecationWarning, PendingDeprecationWarning])
def test_a_deprecation_raised_from_our_code_is_an_error(module, category):
    with pytest.raises(category):
        _warn_from(module, category, 'probe')


@pytest.mark.parametrize('category', [sqlalchemy.exc.SADeprecationWarning,
                                      sqlalchemy.exc.MovedIn20Warning])
def test_a_sqlalchemy_deprecation_is_an_error_even_when_attributed_to_sqlalchemy(category):
    with pytest.raises(category):
        _warn_from('sqlalchemy.orm.mapper', category, 'probe')


def test_a_deprecated_policy_value_is_an_error_though_oslo_context_raises_it():
    with pytest.raises(DeprecationWarning):
        _warn_from('oslo_context.context', DeprecationWarning,
                   'Policy enforcement is depending on the value of project_name. ...')


def test_a_named_third_party_internal_deprecation_is_ignored():
    with warnings.catch_warnings(record=True) as caught:
        _warn_from('webob.compat', DeprecationWarning, "'cgi' is deprecated and slated ...")
    assert caught == []


def test_another_third_party_deprecation_is_shown_not_raised():
    # Not pytest.warns: it would record the warning whatever the filters say.
    with warnings.catch_warnings(record=True) as caught:
        _warn_from('somelibrary.module', DeprecationWarning, 'probe')
    assert [str(w.message) for w in caught] == ['probe']
