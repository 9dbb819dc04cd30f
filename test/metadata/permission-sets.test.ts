import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
    defaultPackageDir,
    fieldPermissionProblems,
    fieldPermissions,
    livestormFields,
    namedEntries,
    objectPermissions,
    permissionSet,
    text
} from './package-metadata.ts';
import { copyPackage, type PackageCopy } from './broken-copy.ts';

const integration = () => permissionSet(defaultPackageDir, 'Livestorm_Integration');
const viewer = () => permissionSet(defaultPackageDir, 'Livestorm_Viewer');

let copy: PackageCopy;
beforeEach(() => {
    copy = copyPackage();
});
afterEach(() => {
    copy.dispose();
});

describe('Livestorm_Integration', () => {
    it('reads and edits every Livestorm field on Campaign and Campaign Member', () => {
        expect(livestormFields()).toHaveLength(28);
        expect(fieldPermissionProblems(defaultPackageDir, 'Livestorm_Integration', true)).toEqual([]);
    });

    it('is caught when a new Livestorm field has no permission', () => {
        copy.write(
            'objects/CampaignMember/fields/Livestorm_Poll_Answers_Count__c.field-meta.xml',
            [
                '<?xml version="1.0" encoding="UTF-8" ?>',
                '<CustomField xmlns="http://soap.sforce.com/2006/04/metadata">',
                '    <fullName>Livestorm_Poll_Answers_Count__c</fullName>',
                '    <type>Number</type>',
                '</CustomField>',
                ''
            ].join('\n')
        );
        expect(fieldPermissionProblems(copy.packageDir, 'Livestorm_Integration', true)).toEqual([
            'Livestorm_Integration does not grant CampaignMember.Livestorm_Poll_Answers_Count__c'
        ]);
        expect(fieldPermissionProblems(copy.packageDir, 'Livestorm_Viewer', false)).toEqual([
            'Livestorm_Viewer does not grant CampaignMember.Livestorm_Poll_Answers_Count__c'
        ]);
    });

    it('is caught when a field is read-only', () => {
        copy.edit('permissionsets/Livestorm_Integration.permissionset-meta.xml', (xml) =>
            xml.replace(
                /<editable>true<\/editable>(\s*<field>Campaign\.Livestorm_Session_Id__c<\/field>)/,
                '<editable>false</editable>$1'
            )
        );
        expect(fieldPermissionProblems(copy.packageDir, 'Livestorm_Integration', true)).toEqual([
            'Livestorm_Integration cannot edit Campaign.Livestorm_Session_Id__c'
        ]);
    });

    it('grants the API and exactly the object access the listener needs, nothing to delete or see all', () => {
        expect(namedEntries(integration(), 'userPermissions', 'name')).toEqual({ ApiEnabled: 'true' });
        const byObject = Object.fromEntries(
            objectPermissions(integration()).map((entry) => [entry.object, entry])
        );
        // CampaignMember has no object permissions of its own: its access follows Campaign, Lead and Contact.
        expect(Object.keys(byObject).sort()).toEqual(['Account', 'Campaign', 'Contact', 'Lead']);
        const crud = (object: string) => {
            const entry = byObject[object];
            return entry && [entry.allowCreate, entry.allowRead, entry.allowEdit, entry.allowDelete];
        };
        expect(crud('Campaign')).toEqual([true, true, true, false]);
        expect(crud('Lead')).toEqual([true, true, true, false]);
        expect(crud('Contact')).toEqual([true, true, true, false]);
        expect(crud('Account')).toEqual([true, true, false, false]);
        for (const entry of Object.values(byObject)) {
            expect([entry.viewAllRecords, entry.modifyAllRecords]).toEqual([false, false]);
        }
    });

    it('reads the member status settings and shows the setup tab', () => {
        expect(namedEntries(integration(), 'customMetadataTypeAccesses', 'name')).toEqual({
            Livestorm_Member_Status__mdt: 'true'
        });
        expect(namedEntries(integration(), 'tabSettings', 'tab')).toEqual({ Livestorm_Setup: 'Visible' });
    });

    it('edits only Livestorm fields and the standard fields the listener writes', () => {
        const others = fieldPermissions(integration())
            .map((entry) => entry.field)
            .filter((name) => !livestormFields().includes(name));
        expect(others).toEqual([
            'Campaign.StartDate',
            'Campaign.Status',
            'Contact.AccountId',
            'Contact.Email',
            'Lead.Email'
        ]);
    });
});

describe('Livestorm_Viewer', () => {
    it('reads every Livestorm field and edits none', () => {
        expect(fieldPermissionProblems(defaultPackageDir, 'Livestorm_Viewer', false)).toEqual([]);
        expect(
            fieldPermissions(viewer())
                .map((entry) => entry.field)
                .sort()
        ).toEqual([...livestormFields()].sort());
    });

    it('is caught when a field becomes editable', () => {
        copy.edit('permissionsets/Livestorm_Viewer.permissionset-meta.xml', (xml) =>
            xml.replace(
                /<editable>false<\/editable>(\s*<field>CampaignMember\.Livestorm_Replay_Status__c<\/field>)/,
                '<editable>true</editable>$1'
            )
        );
        expect(
            fieldPermissions(permissionSet(copy.packageDir, 'Livestorm_Viewer')).filter(
                (entry) => entry.editable
            )
        ).toHaveLength(1);
        expect(fieldPermissionProblems(copy.packageDir, 'Livestorm_Viewer', false)).toEqual([
            'Livestorm_Viewer can edit CampaignMember.Livestorm_Replay_Status__c'
        ]);
    });

    it('reads Campaigns, shows the setup tab, and grants nothing else', () => {
        expect(objectPermissions(viewer())).toEqual([
            {
                object: 'Campaign',
                allowCreate: false,
                allowRead: true,
                allowEdit: false,
                allowDelete: false,
                viewAllRecords: false,
                modifyAllRecords: false
            }
        ]);
        expect(namedEntries(viewer(), 'tabSettings', 'tab')).toEqual({ Livestorm_Setup: 'Visible' });
        expect(viewer()['userPermissions']).toBeUndefined();
        expect(viewer()['customMetadataTypeAccesses']).toBeUndefined();
    });
});

describe('both permission sets', () => {
    it('have a label and a description within the 255 characters a permission set allows', () => {
        for (const permset of [integration(), viewer()]) {
            expect(text(permset['label'])).toMatch(/^Livestorm (Integration|Viewer)$/);
            const description = text(permset['description']) ?? '';
            expect(description.length).toBeGreaterThan(0);
            expect(description.length).toBeLessThanOrEqual(255);
            expect(text(permset['hasActivationRequired'])).toBe('false');
        }
    });
});
